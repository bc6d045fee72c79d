"""Cutting one blob into buildings (instances.py): seeds from the edge output and boxes, watershed, merges."""
from dataclasses import replace

import numpy as np

from building_area_plugin.core.instances import SplitRules, blob_labels, merge_parts, shared_borders

# Levels of uint8 probability x 255: insides have edge < 128 and building >= 128, of at least 4 px.
RULES = SplitRules(edge_level=128, seed_level=128, min_seed_px=4, wall_level=128, min_part_px=0,
                   min_score_level=0)
BOXES_ONLY = SplitRules(edge_level=None, seed_level=128, min_seed_px=4, wall_level=None, min_part_px=0,
                        min_score_level=0)
NO_BOXES = np.zeros((0, 4))


def two_roofs(wall=True):
    """A 20 x 20 and a 30 x 20 roof side by side (one blob), with a 2 px wall line in the edge output."""
    mask = np.zeros((30, 60), bool)
    mask[5:25, 5:55] = True
    prob = np.where(mask, 250, 0).astype(np.uint8)
    edge = np.zeros_like(prob)
    if wall:
        edge[5:25, 24:26] = 230
    return prob, mask, edge


def sizes(labels):
    return sorted(np.count_nonzero(labels == value) for value in np.unique(labels[labels > 0]))


def test_boxes_alone_separate_two_touching_squares_exactly():
    prob, mask, _ = two_roofs()
    boxes = np.array([[5, 5, 25, 25], [25, 5, 55, 25]], float)
    labels = blob_labels(prob, mask, boxes, BOXES_ONLY)
    assert np.count_nonzero(labels == 1) == 400
    assert np.count_nonzero(labels == 2) == 600
    assert np.all((labels > 0) == mask)


def test_boxes_alone_flood_overlapping_boxes_along_the_probability_gap():
    mask = np.zeros((20, 40), bool)
    mask[2:18, 2:38] = True
    prob = np.where(mask, 250, 0).astype(np.uint8)
    prob[:, 19:21] = 140  # a darker gap between the roofs, still above the threshold
    boxes = np.array([[2, 2, 24, 18], [16, 2, 38, 18]], float)  # loose boxes overlapping by 8 px
    labels = blob_labels(prob, mask, boxes, BOXES_ONLY)
    assert np.all((labels > 0) == mask)
    assert abs(np.count_nonzero(labels == 1) - np.count_nonzero(labels == 2)) <= 2 * 16
    assert np.all(labels[2:18, 2:16] == 1) and np.all(labels[2:18, 24:38] == 2)


def test_the_edge_output_alone_separates_two_touching_squares_along_the_wall():
    prob, mask, edge = two_roofs()
    labels = blob_labels(prob, mask, NO_BOXES, RULES, edge)
    assert np.all((labels > 0) == mask)  # every blob pixel in exactly one building
    left, right = labels[10, 10], labels[10, 40]
    assert left != right
    assert np.all(labels[5:25, 5:24] == left) and np.all(labels[5:25, 26:55] == right)
    assert sizes(labels) == [400, 600]  # the wall's two columns go one to each side


def test_a_blob_without_a_wall_is_one_building():
    prob, mask, edge = two_roofs(wall=False)
    assert blob_labels(prob, mask, NO_BOXES, RULES, edge) is None


def test_insides_under_the_minimum_seed_size_seed_no_building():
    prob, mask, edge = two_roofs()
    edge[5:25, 5:24] = 230
    edge[10:12, 10:12] = 0  # a 4 px inside on the left: just enough
    labels = blob_labels(prob, mask, NO_BOXES, RULES, edge)
    assert len(sizes(labels)) == 2
    small = replace(RULES, min_seed_px=5)
    assert blob_labels(prob, mask, NO_BOXES, small, edge) is None


def test_two_boxes_split_an_inside_the_edges_did_not():
    prob, mask, edge = two_roofs(wall=False)
    boxes = np.array([[5, 5, 25, 25], [25, 5, 55, 25]], float)
    labels = blob_labels(prob, mask, boxes, RULES, edge)
    assert sizes(labels) == [400, 600]


def test_a_box_whose_roof_has_no_inside_seeds_its_own_building():
    prob, mask, edge = two_roofs(wall=False)
    edge[5:25, 25:55] = 230  # the right roof is all edge: no inside there
    boxes = np.array([[25, 5, 55, 25]], float)
    labels = blob_labels(prob, mask, boxes, RULES, edge)
    assert sizes(labels) == [400, 600]


def test_two_insides_in_one_box_stay_two_buildings():
    prob, mask, edge = two_roofs()
    boxes = np.array([[5, 5, 55, 25]], float)  # one box around both roofs
    assert sizes(blob_labels(prob, mask, boxes, RULES, edge)) == [400, 600]


def test_a_part_under_the_minimum_size_joins_the_neighbour_it_shares_most_border_with():
    labels = np.zeros((10, 30), np.int32)
    labels[:, :18], labels[:, 18:20], labels[:, 20:] = 1, 2, 3
    labels[:2, 18:20] = 3  # part 2 (16 px) shares 8 pixel sides with part 1 and 10 with the smaller part 3
    prob = np.full(labels.shape, 250, np.uint8)
    merged = merge_parts(labels, prob, prob, NO_BOXES, replace(RULES, min_part_px=25, wall_level=None))
    assert sizes(merged) == [120, 180] and merged[5, 18] == merged[5, 25]


def test_a_part_without_a_box_and_a_low_score_joins_its_neighbour_a_boxed_one_stays():
    labels = np.zeros((10, 30), np.int32)
    labels[:, :10], labels[:, 10:] = 1, 2
    prob = np.full(labels.shape, 250, np.uint8)
    prob[:, :10] = 100
    rules = replace(RULES, min_score_level=128, wall_level=None)
    assert sizes(merge_parts(labels, prob, prob, NO_BOXES, rules)) == [300]
    box_on_the_dim_part = np.array([[2, 2, 8, 8]], float)
    assert sizes(merge_parts(labels, prob, prob, box_on_the_dim_part, rules)) == [100, 200]


def test_two_parts_whose_border_is_no_wall_are_one_building_unless_each_holds_a_box():
    labels = np.zeros((10, 30), np.int32)
    labels[:, :10], labels[:, 10:20], labels[:, 20:] = 1, 2, 3
    wall = np.zeros(labels.shape, np.uint8)
    wall[:, 19:21] = 200  # a wall between parts 2 and 3 only
    prob = np.full(labels.shape, 250, np.uint8)
    assert sizes(merge_parts(labels, prob, wall, NO_BOXES, RULES)) == [100, 200]
    boxes_on_parts_1_and_2 = np.array([[2, 2, 8, 8], [12, 2, 18, 8]], float)
    assert sizes(merge_parts(labels, prob, wall, boxes_on_parts_1_and_2, RULES)) == [100, 100, 100]


def test_shared_borders_count_pixel_sides_and_sum_the_higher_wall_value_along_them():
    labels = np.array([[1, 1, 2],
                       [1, 3, 2],
                       [0, 3, 3]], np.int32)
    wall = np.array([[0, 10, 0],
                     [0, 0, 100],
                     [0, 0, 0]], np.uint8)
    assert shared_borders(labels, wall) == {(1, 2): (1, 10), (1, 3): (2, 10), (2, 3): (2, 200)}
