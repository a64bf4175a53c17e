"""Codecs: pure functions that write containers into pixel arrays and read them back."""
