"""The ground floor: what every layer may use — config, database and models, clock, translation, crypto, audit
log, errors, events, passwords, tables, staff identity and sign-in, the CLI's shared state. Imports nothing above."""
