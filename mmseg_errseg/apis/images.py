"""Input images for inference: expanding folders, naming outputs, decoding with clear errors."""
import os
from pathlib import Path
from typing import Iterable, List, Sequence, Union

import mmcv
import numpy as np

__all__ = ['IMAGE_SUFFIXES', 'check_unique_names', 'collect_images', 'read_image']

#: File suffixes taken from a folder (case-insensitive); files named explicitly may have any suffix.
IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')


def collect_images(paths: Iterable[Union[str, Path]]) -> List[str]:
    """Image files named by ``paths``: files as given, folders expanded (not recursively, sorted by name).

    Raises:
        FileNotFoundError: a path does not exist.
        ValueError: no paths, or a folder holds no image.
    """
    images = []
    for path in map(str, paths):
        if os.path.isdir(path):
            found = sorted(e.path for e in os.scandir(path)
                           if e.is_file() and os.path.splitext(e.name)[1].lower() in IMAGE_SUFFIXES)
            if not found:
                raise ValueError(f'{path}: the folder holds no image '
                                 f'(looked for {", ".join(IMAGE_SUFFIXES)})')
            images.extend(found)
        elif os.path.isfile(path):
            images.append(path)
        else:
            raise FileNotFoundError(f'{path}: no such image file or folder')
    if not images:
        raise ValueError('no input images given')
    return images


def check_unique_names(names: Sequence[str], sources: Sequence[str]) -> None:
    """Raise ``ValueError`` when two inputs (``sources``, their paths) would write under the same name."""
    owner = {}
    for name, source in zip(names, sources):
        if name in owner:
            raise ValueError(f'{owner[name]} and {source} would both write outputs named {name!r}: '
                             'rename one, or segment them into different output folders')
        owner[name] = source


def read_image(path: str) -> np.ndarray:
    """Decode an image file as MMSeg's ``LoadImageFromFile`` does (3 channels, BGR, uint8).

    Raises:
        FileNotFoundError: no such file.
        ValueError: the file is not a decodable image.
    """
    try:
        with open(path, 'rb') as f:
            data = f.read()
    except FileNotFoundError:
        raise FileNotFoundError(f'{path}: no such image file') from None
    except OSError as e:
        raise ValueError(f'{path}: cannot be read ({e.strerror or e})') from None
    image = mmcv.imfrombytes(data, flag='color') if data else None
    if image is None:
        raise ValueError(f'{path}: cannot be decoded as an image (empty, corrupt or not an image file)')
    return image
