"""KAM Analysis: key account management analytics on DuckDB.

The engine has no Streamlit import; the app in ``app.py``/``pages/`` and the
CLI (``python -m kam_analysis``) both call the same functions.
"""

__version__ = "0.1.0"
