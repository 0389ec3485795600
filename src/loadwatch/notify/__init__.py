"""Email: compose (email.py) and deliver or write to an outbox (smtp.py)."""
