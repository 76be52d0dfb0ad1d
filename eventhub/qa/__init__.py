"""Live Q&A and polls."""
