"""Modules: :class:`KANLayer`, :class:`KAN`, edge bases, symbolic edges, grids and pruning."""
from kanlab.nn._edge_bases import DEFAULT_BASIS, EDGE_BASES, EdgeBasis, get_edge_basis
from kanlab.nn._grid import update_grid, update_layer_grid
from kanlab.nn._refine import refine, refine_layer
from kanlab.nn._layer import KANLayer
from kanlab.nn._network import KAN
from kanlab.nn._pruning import (Attribution, attribute, edge_moments, prune, prune_input,
                                remove_edge, remove_node)
from kanlab.nn._symbolic_edges import SymbolicEdges
from kanlab.ops._base_functions import BASE_FUNCTIONS

__all__ = ["KANLayer", "KAN", "EdgeBasis", "EDGE_BASES", "DEFAULT_BASIS", "get_edge_basis", "BASE_FUNCTIONS",
           "SymbolicEdges", "update_grid", "update_layer_grid", "refine", "refine_layer",
           "Attribution", "attribute", "edge_moments", "prune", "prune_input", "remove_edge",
           "remove_node"]
