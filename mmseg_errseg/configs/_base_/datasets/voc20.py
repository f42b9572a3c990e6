# PAS-20: PASCAL VOC 2012 validation (1,449 images), 20 classes (background ignored).
# Prepare with: errseg prepare voc20 --src VOCdevkit/VOC2012 --dst data
# Follows mmseg_errseg.datasets.BENCHMARKS['voc20'] (the tests check it).
_base_ = './ovss_test.py'
dataset_type = 'PascalVOC20Dataset'
vocabulary = 'voc20'
test_num_selected = 16  # test-time P of the official evaluation
test_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_prefix=dict(
            img_path='VOCdevkit/VOC2012/JPEGImages',
            seg_map_path='VOCdevkit/VOC2012/annotations_detectron2/val')))
