"""The employee-facing Streamlit chat. It talks to the REST API over HTTP only."""
