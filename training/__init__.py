"""Training pipeline of the stegokit neural codec (needs the ``train`` extra)."""
