"""Measurements over datasets, vocabularies and evaluation records (the measuring layer, beside
``evaluation`` and ``profiling``): dataset statistics (Table 1), label similarity and its text encoders
(Table 2), seen/unseen mIoU (Table 5). Their tables and plots are views (``mmseg_errseg.views``)."""
__all__ = ['dataset_stats', 'seen_unseen', 'similarity', 'text_encoders']
