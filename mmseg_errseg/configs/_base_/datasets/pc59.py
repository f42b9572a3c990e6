# PC-59: PASCAL-Context validation, the 59 frequent classes (background ignored).
# Prepare with: errseg prepare pc59 --src VOCdevkit/VOC2010 --dst data
# Follows mmseg_errseg.datasets.BENCHMARKS['pc59'] (the tests check it).
_base_ = './ovss_test.py'
dataset_type = 'PascalContext59Dataset'
vocabulary = 'pc59'
test_num_selected = 24  # test-time P of the official evaluation
test_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_prefix=dict(
            img_path='VOCdevkit/VOC2010/JPEGImages',
            seg_map_path='VOCdevkit/VOC2010/annotations_detectron2/pc59_val')))
