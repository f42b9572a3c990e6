"""Tiny fake public releases, in the raw layouts and label encodings `errseg prepare` reads.

Each writer returns, per image stem, the label map the official preparation
produces from it, computed here by hand from the documented encodings (not
with the package's lookup tables).
"""
import json
import os
import os.path as osp
import pickle

import numpy as np
from PIL import Image


def _img(path, h, w, seed=0):
    os.makedirs(osp.dirname(path), exist_ok=True)
    rng = np.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(path, quality=95)


def _png(path, array):
    os.makedirs(osp.dirname(path), exist_ok=True)
    Image.fromarray(array).save(path)


def _palette_png(path, array):
    """A palette ('P') PNG whose indices are ``array``, as VOC's SegmentationClass files."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    im = Image.frombytes('P', (array.shape[1], array.shape[0]), np.ascontiguousarray(array).tobytes())
    im.putpalette([v for i in range(256) for v in ((37 * i) % 256, (91 * i) % 256, (53 * i) % 256)])
    im.save(path)


def coco_stuff(src):
    """coco-stuff/: images/{split}2017/*.jpg and annotations/{split}2017/*.png (stuffthingmaps)."""
    # raw: 0 person -> 0; 11 (unused COCO id 12) -> 255; 12 stop sign -> 11; 91 banner -> 80;
    # 181 wood -> 170; 182 (not a class) -> 255; 255 unlabelled -> 255
    raw = np.array([[0, 11, 12, 91], [181, 182, 255, 0]], dtype=np.uint8).repeat(4, 0).repeat(4, 1)
    expected = np.array([[0, 255, 11, 80], [170, 255, 255, 0]], dtype=np.uint8).repeat(4, 0).repeat(4, 1)
    out = {}
    for split, n in (('train2017', 2), ('val2017', 1)):
        for i in range(n):
            stem = f'{i:012d}'
            _img(osp.join(src, 'images', split, stem + '.jpg'), 8, 16, i)
            _png(osp.join(src, 'annotations', split, stem + '.png'), raw)
            out[(split, stem)] = expected
    return out


def ade150(src):
    """ADEChallengeData2016/: images/validation/*.jpg, annotations/validation/*.png (0 unlabelled, 1..150)."""
    raw = np.array([[0, 1, 2, 150]], dtype=np.uint8).repeat(6, 0).repeat(5, 1)
    expected = np.array([[255, 0, 1, 149]], dtype=np.uint8).repeat(6, 0).repeat(5, 1)
    out = {}
    for i in range(2):
        stem = f'ADE_val_{i + 1:08d}'
        _img(osp.join(src, 'images', 'validation', stem + '.jpg'), 6, 20, i)
        _png(osp.join(src, 'annotations', 'validation', stem + '.png'), raw)
        out[stem] = expected
    return out


def _ade_seg(objects):
    """ADE20K *_seg.png: R // 10 * 256 + G is the object class (B: instances)."""
    rgb = np.zeros(objects.shape + (3,), dtype=np.uint8)
    rgb[..., 0] = (objects // 256) * 10 + 3  # R / 10 truncates: the +3 must not matter
    rgb[..., 1] = objects % 256
    rgb[..., 2] = 17
    return rgb


def ade847(parent):
    """ADE20K_2021_17_01/: index_ade20k.pkl + images/ADE/{training,validation}/<scene>/*.jpg and *_seg.png."""
    root = osp.join(parent, 'ADE20K_2021_17_01')
    # object ids: 2978 wall -> 0, 312 building -> 1, 3148 adding machine -> 846, 1223 heater -> 268,
    # 3059 wine rack -> 561, 5 (not an A-847 class) -> 65535, 0 (unlabelled) -> 65535
    objects = np.array([[2978, 312, 3148, 1223], [3059, 5, 0, 2978]], dtype=np.int64)
    expected = np.array([[0, 1, 846, 268], [561, 65535, 65535, 0]], dtype=np.uint16)
    folders, files, out = [], [], {}
    entries = [('training', 'ADE_train_00000001', 1), ('validation', 'ADE_val_00000001', 1),
               ('validation', 'ADE_val_00000002', 257)]  # 514 x 1028 px: resized to 512 x 1024
    for split, stem, scale in entries:
        folder = f'ADE20K_2021_17_01/images/ADE/{split}/urban/street'
        obj = objects.repeat(scale, 0).repeat(scale, 1)
        h, w = obj.shape
        _img(osp.join(parent, folder, stem + '.jpg'), h, w, len(files))
        _png(osp.join(parent, folder, stem + '_seg.png'), _ade_seg(obj))
        folders.append(folder)
        files.append(stem + '.jpg')
        if split == 'validation':
            out[stem] = (expected, scale)  # the 2 x 4 labels, each a scale x scale block of the original
    with open(osp.join(root, 'index_ade20k.pkl'), 'wb') as f:
        pickle.dump({'folder': folders, 'filename': files, 'objectnames': ['-'] * 3200}, f)
    return root, out


def pascal_context(src, ids=('2008_000002', '2008_000003')):
    """VOCdevkit/VOC2010/: JPEGImages, trainval/*.mat (LabelMap) and trainval_merged.json (Detail)."""
    from pycocotools import mask as mask_utils
    from scipy.io import savemat
    # PASCAL-Context ids: 0 unlabelled, 2 aeroplane (PC-59 0), 256 (PC-459 255), 397 table (PC-59 49),
    # 459 wool (PC-459 458, not in PC-59), 458 wood (PC-59 58)
    label_map = np.array([[0, 2, 256, 397], [459, 458, 2, 0]], dtype=np.uint16).repeat(3, 0).repeat(3, 1)
    pc459 = np.array([[65535, 1, 255, 396], [458, 457, 1, 65535]], dtype=np.uint16).repeat(3, 0).repeat(3, 1)
    pc59 = np.array([[255, 0, 255, 49], [255, 58, 0, 255]], dtype=np.uint8).repeat(3, 0).repeat(3, 1)
    images, annotations, exp459, exp59 = [], [], {}, {}
    for k, stem in enumerate(ids):
        _img(osp.join(src, 'JPEGImages', stem + '.jpg'), 6, 12, k)
        os.makedirs(osp.join(src, 'trainval'), exist_ok=True)
        savemat(osp.join(src, 'trainval', stem + '.mat'), {'LabelMap': label_map})
        images.append(dict(image_id=k + 1, file_name=stem + '.jpg', height=6, width=12, phase='val'))
        for cid in (2, 256, 397, 459, 458):
            rle = mask_utils.encode(np.asfortranarray((label_map == cid).astype(np.uint8)))
            rle['counts'] = rle['counts'].decode('ascii')
            annotations.append(dict(image_id=k + 1, category_id=cid, segmentation=rle))
        exp459[stem], exp59[stem] = pc459, pc59
    _img(osp.join(src, 'JPEGImages', '2008_999999.jpg'), 6, 12, 9)  # a training image
    images.append(dict(image_id=99, file_name='2008_999999.jpg', height=6, width=12, phase='train'))
    with open(osp.join(src, 'trainval_merged.json'), 'w') as f:
        json.dump(dict(images=images, annos_segmentation=annotations, categories=[]), f)
    with open(osp.join(src, 'val_ids.txt'), 'w') as f:
        f.write('\n'.join(ids) + '\n')
    return exp459, exp59


def voc2012(src, ids=('2007_000033', '2007_000042'), folder='SegmentationClass'):
    """VOCdevkit/VOC2012/: JPEGImages, ImageSets/Segmentation/val.txt, SegmentationClass/*.png (palette)."""
    raw = np.array([[0, 1, 20, 255], [15, 0, 255, 1]], dtype=np.uint8).repeat(4, 0).repeat(4, 1)
    expected = np.array([[255, 0, 19, 255], [14, 255, 255, 0]], dtype=np.uint8).repeat(4, 0).repeat(4, 1)
    out = {}
    for k, stem in enumerate(ids):
        _img(osp.join(src, 'JPEGImages', stem + '.jpg'), 8, 16, k)
        _palette_png(osp.join(src, folder, stem + '.png'), raw)
        out[stem] = expected
    _img(osp.join(src, 'JPEGImages', '2007_999999.jpg'), 8, 16, 9)  # a training image
    os.makedirs(osp.join(src, 'ImageSets', 'Segmentation'), exist_ok=True)
    with open(osp.join(src, 'ImageSets', 'Segmentation', 'val.txt'), 'w') as f:
        f.write('\n'.join(ids) + '\n')
    return out
