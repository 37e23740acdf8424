"""The committee's delivery place: results and item-analysis pages, and commands that join the libraries."""
