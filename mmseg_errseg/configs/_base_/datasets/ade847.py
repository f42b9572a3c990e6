# the full ADE20K validation set (2,000 images, 847 classes, 16-bit labels).
# Prepare with: errseg prepare ade847 --src ADE20K_2021_17_01 --dst data
# Follows mmseg_errseg.datasets.BENCHMARKS['ade847'] (the tests check it).
_base_ = './ovss_test_16bit.py'
dataset_type = 'ADE20K847Dataset'
vocabulary = 'ade847'
test_num_selected = 48  # test-time P of the official evaluation
test_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_prefix=dict(
            img_path='ADE20K_2021_17_01/images_detectron2/validation',
            seg_map_path='ADE20K_2021_17_01/annotations_detectron2/validation')))
