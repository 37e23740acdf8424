"""The candidate engine: a paper's life (sessions), the answer hot path (answers), closing and scoring a paper,
issuing papers, the ``/exam`` namespace and ticker (``live/``), the candidate and receipt pages (``web/``)."""
