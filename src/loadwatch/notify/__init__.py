"""Delivery channels behind one small interface (channel.py): email (compose in email.py, SMTP in
smtp.py, the channel in mail.py) and push through Apprise (push.py)."""
