# PC-459: PASCAL-Context validation (5,104 images), all 459 classes, 16-bit labels.
# Prepare with: errseg prepare pc459 --src VOCdevkit/VOC2010 --dst data
# Follows mmseg_errseg.datasets.BENCHMARKS['pc459'] (the tests check it).
_base_ = './ovss_test_16bit.py'
dataset_type = 'PascalContext459Dataset'
vocabulary = 'pc459'
test_num_selected = 48  # test-time P of the official evaluation
test_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_prefix=dict(
            img_path='VOCdevkit/VOC2010/JPEGImages',
            seg_map_path='VOCdevkit/VOC2010/annotations_detectron2/pc459_val')))
