"""Analyses over datasets, vocabularies and run records: label similarity, seen/unseen,
dataset statistics, and the rendering of tables and plots."""
