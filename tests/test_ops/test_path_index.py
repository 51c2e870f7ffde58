"""IRN's PathIndex, affinities from a boundary map, and pair labels."""
import numpy as np
import pytest
import torch

from mmwsss.ops import (
    PathIndex,
    direction_path,
    edge_to_affinity,
    path_pair_labels,
    search_directions,
)


def test_groups_by_path_length_radius_5():
    index = PathIndex(5, (9, 12))
    assert [len(p) for p in index.search_paths] == [2, 2, 4, 2, 4, 2, 8, 6, 4]
    assert [p.shape[1] for p in index.search_paths] == [
        2, 3, 4, 5, 6, 7, 8, 10, 11]
    assert index.num_dirs == 34 == len(index.search_dst)
    assert index.search_dst[:8].tolist() == [[0, 1], [1, 0], [0, 2], [2, 0],
                                             [0, 3], [1, -1], [1, 1], [3, 0]]
    # a permutation of D_5
    assert sorted(map(tuple, index.search_dst.tolist())) == sorted(
        search_directions(5))
    assert index.search_dst.dtype == np.int64


def test_radius_10_has_152_directions_in_20_groups():
    index = PathIndex(10, (128, 128))
    assert len(index.search_paths) == 20 and index.num_dirs == 152
    lengths = [p.shape[1] for p in index.search_paths]
    assert lengths == sorted(lengths) and len(set(lengths)) == 20
    assert index.num_sources == 119 * 110 == 13090
    assert index.dst_indices.shape == (152, 13090)


def test_paths_by_hand():
    # straight lines: every cell, far end first, source last
    assert direction_path(0, 3).tolist() == [[0, 3], [0, 2], [0, 1], [0, 0]]
    assert direction_path(2, 0).tolist() == [[2, 0], [1, 0], [0, 0]]
    # diagonal: (0, 1) and (1, 0) lie at distance 1/sqrt(2) < 1 of the line
    assert direction_path(1, 1).tolist() == [[1, 1], [0, 1], [1, 0], [0, 0]]
    assert direction_path(1, -1).tolist() == [[1, -1], [0, -1], [1, 0],
                                              [0, 0]]
    # (1, 2): distances |x - 2y| / sqrt(5); (0, 2) and (1, 0) are at
    # 2 / sqrt(5) < 1, included; ties in |y| + |x| keep the scan order
    assert direction_path(1, 2).tolist() == [[1, 2], [0, 2], [1, 1], [0, 1],
                                             [1, 0], [0, 0]]
    # (3, 1): distance |3x - y| / sqrt(10); (1, 1) -> 2/sqrt(10) kept,
    # (0, 1) -> 3/sqrt(10) kept, (3, 0) -> 3/sqrt(10) kept
    assert direction_path(3, 1).tolist() == [[3, 1], [2, 1], [3, 0], [1, 1],
                                             [2, 0], [0, 1], [1, 0], [0, 0]]


def test_source_and_destination_indices_on_a_small_grid():
    index = PathIndex(2, (3, 4))  # rf = 1: rows 0..1, columns 1..2
    assert index.src_indices.tolist() == [1, 2, 5, 6]
    # D_2 = (0,1), (1,-1), (1,0), (1,1); lengths 2, 2, 4, 4 ->
    # groups [(0,1), (1,0)] and [(1,-1), (1,1)]
    assert index.search_dst.tolist() == [[0, 1], [1, 0], [1, -1], [1, 1]]
    assert index.dst_indices.tolist() == [[2, 3, 6, 7], [5, 6, 9, 10],
                                          [4, 5, 8, 9], [6, 7, 10, 11]]
    # path of (1, 1) from source 1 = (0, 1): (1,2), (0,2), (1,1), (0,1)
    assert index.path_indices[1][1, :, 0].tolist() == [6, 2, 5, 1]
    for paths in index.path_indices:
        np.testing.assert_array_equal(
            paths[:, -1], np.broadcast_to(index.src_indices,
                                          paths[:, -1].shape))
    tensors = index.tensors()
    assert tensors['dst_indices'].dtype == torch.int64
    assert index.tensors() is tensors  # converted once


def test_narrow_grids_are_an_error():
    PathIndex(5, (5, 9))
    with pytest.raises(ValueError, match='at least 5 x 9'):
        PathIndex(5, (5, 8))
    with pytest.raises(ValueError, match='at least 10 x 19'):
        PathIndex(10, (9, 40))
    with pytest.raises(ValueError, match='radius'):
        PathIndex(1, (10, 10))


def test_edge_to_affinity_against_a_loop():
    rng = np.random.default_rng(0)
    height, width, radius = 9, 11, 4
    edge = torch.from_numpy(rng.uniform(0, 1, (2, 1, height, width)))
    edge.requires_grad_(True)
    index = PathIndex(radius, (height, width))
    aff = edge_to_affinity(edge, index.path_indices)
    assert aff.shape == (2, index.num_dirs, index.num_sources)
    assert aff.dtype == torch.float64
    e = edge.detach().numpy()[:, 0]
    rf = radius - 1
    sources = [(y, x) for y in range(height - rf)
               for x in range(rf, width - rf)]
    expected = np.zeros(aff.shape)
    for d, (dy, dx) in enumerate(index.search_dst.tolist()):
        path = direction_path(dy, dx)
        for s, (y, x) in enumerate(sources):
            cells = [e[:, y + py, x + px] for py, px in path]
            expected[:, d, s] = 1 - np.max(cells, axis=0)
    np.testing.assert_allclose(aff.detach().numpy(), expected, rtol=0,
                               atol=0)
    # flat input and tensor indices give the same
    flat = edge_to_affinity(edge.reshape(2, -1),
                            index.tensors()['path_indices'])
    torch.testing.assert_close(flat, aff)
    aff.sum().backward()
    assert edge.grad is not None and (edge.grad <= 0).all()
    with pytest.raises(ValueError, match='grid of the edge map'):
        edge_to_affinity(edge[..., :5], index.path_indices)


def test_path_pair_labels_by_hand():
    index = PathIndex(2, (3, 4))
    label = np.array([[0, 0, 1, 1],
                      [0, 0, 1, 255],
                      [2, 0, 21, 1]], np.uint8)
    bg_pos, fg_pos, neg = path_pair_labels(label, index, num_classes=21)
    for arr in (bg_pos, fg_pos, neg):
        assert arr.shape == (4, 4) and arr.dtype == np.float32
    flat = label.reshape(-1).astype(int)
    for d in range(4):
        for s, src in enumerate(index.src_indices):
            f, t = flat[src], flat[index.dst_indices[d, s]]
            valid = f < 21 and t < 21
            assert bg_pos[d, s] == (valid and f == t == 0)
            assert fg_pos[d, s] == (valid and f == t and f > 0)
            assert neg[d, s] == (valid and f != t)
    # source 1 = (0, 1) label 0: (0,1) -> 1 neg; (1,0) -> 0 bg;
    # (1,-1) -> 0 bg; (1,1) -> 1 neg
    assert bg_pos[:, 0].tolist() == [0, 1, 1, 0]
    assert neg[:, 0].tolist() == [1, 0, 0, 1]
    # source 6 = (1, 2) label 1: (0,1) -> 255 ignored; (1,0) -> 21 invalid
    # (class count); (1,-1) -> 0 neg; (1,1) -> 1 fg
    assert (bg_pos[:, 3] + fg_pos[:, 3] + neg[:, 3]).tolist() == [0, 0, 1, 1]
    assert fg_pos[3, 3] == 1
    # with 22 classes, 21 is a class
    _, _, neg22 = path_pair_labels(label, index, num_classes=22)
    assert neg22[1, 3] == 1
    with pytest.raises(ValueError, match='PathIndex grid'):
        path_pair_labels(label[:, :3], index, 21)
