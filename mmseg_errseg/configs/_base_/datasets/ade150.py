# ADE20K (SceneParsing) validation, 2,000 images, 150 classes.
# Prepare with: errseg prepare ade150 --src ADEChallengeData2016 --dst data
# Follows mmseg_errseg.datasets.BENCHMARKS['ade150'] (the tests check it).
_base_ = './ovss_test.py'
dataset_type = 'ADE20K150Dataset'
vocabulary = 'ade150'
test_num_selected = 32  # test-time P of the official evaluation
test_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_prefix=dict(
            img_path='ADEChallengeData2016/images/validation',
            seg_map_path='ADEChallengeData2016/annotations_detectron2/validation')))
