"""The registration portal: applicants register and apply; verifiers run the administrative selection (issue 17)."""
