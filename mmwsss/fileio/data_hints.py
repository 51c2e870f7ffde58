"""How to obtain the datasets: the fix named when their files are
missing."""

VOC_HINT = (
    'For PASCAL VOC 2012 download the trainval tar '
    '(http://host.robots.ox.ac.uk/pascal/VOC/voc2012/'
    'VOCtrainval_11-May-2012.tar) and SBD benchmark.tgz '
    '(http://www.eecs.berkeley.edu/Research/Projects/CS/vision/grouping/'
    'semantic_contours/benchmark.tgz), extract both under data/ and run '
    '`python tools/dataset_converters/voc_aug.py data/VOCdevkit/VOC2012 '
    'data/benchmark_RELEASE` (writes SegmentationClassAug, '
    'ImageSets/Segmentation/trainaug.txt and cls_labels.txt). For the toy '
    'set run `python tools/misc/make_toy_voc.py --out data/toyvoc`.')
COCO_HINT = (
    'Download COCO 2014 (train2014.zip, val2014.zip and '
    'annotations_trainval2014.zip from http://images.cocodataset.org), '
    'extract them into data/coco and run '
    '`python tools/dataset_converters/coco.py data/coco` (writes '
    'cls_labels_<split>.txt, ImageSets/<split>2014.txt and '
    'SegmentationClass/<split>2014/). For the toy COCO run '
    '`python tools/misc/make_toy_coco.py --out data/toycoco` and the same '
    'converter on data/toycoco.')
