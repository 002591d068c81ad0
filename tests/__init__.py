import pytest

# The shared helpers assert too: their failures should read as well as a test's own.
pytest.register_assert_rewrite("tests.support")
