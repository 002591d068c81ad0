"""Shared test support: builders and registries that several test modules use.

Test modules never import each other; what two of them need lives here.
"""
