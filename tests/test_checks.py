import numpy as np
import pytest

from helpers.checks import check, check_flag, check_positive_int


@pytest.mark.parametrize("value", [2.0, "2", True, None, [2]])
def test_a_value_of_the_wrong_kind_is_a_type_error_naming_argument_value_and_type(value):
    with pytest.raises(TypeError) as info:
        check_positive_int("n_epochs", value)
    assert str(info.value) == (f"n_epochs must be a positive int, got {value!r} "
                               f"({type(value).__name__})")


@pytest.mark.parametrize("value", [0, -3])
def test_a_value_out_of_range_is_a_value_error_naming_argument_and_value(value):
    with pytest.raises(ValueError) as info:
        check_positive_int("batch_size", value)
    assert str(info.value) == f"batch_size must be a positive int, got {value!r}"


def test_a_valid_value_is_returned_as_a_plain_python_number():
    assert check_positive_int("n", 3) == 3
    assert type(check_positive_int("n", np.int64(3))) is int       # NumPy's integers are ints
    assert type(check("lr", np.float64(0.5), float, lambda v: v >= 0, "a number >= 0")) is float
    assert check("lr", 1, float, lambda v: v >= 0, "a number >= 0") == 1   # an int is a number


@pytest.mark.parametrize("value", [np.bool_(True), "yes", 1, None])
def test_a_flag_is_true_or_false_and_nothing_else(value):
    if isinstance(value, np.bool_):
        assert check_flag("shuffle", value) is True
    else:
        with pytest.raises(TypeError, match=f"shuffle must be True or False, got {value!r}"):
            check_flag("shuffle", value)


def test_a_real_number_accepts_floats_but_not_bools_or_strings():
    def lr(value):
        return check("lr", value, float, lambda v: 0 <= v < 1, "a number in [0, 1)")
    assert lr(0.5) == 0.5
    for wrong_kind in (True, "0.5", None):
        with pytest.raises(TypeError, match="lr must be a number in"):
            lr(wrong_kind)
    for wrong_value in (1.0, -0.1, float("nan")):
        with pytest.raises(ValueError, match="lr must be a number in"):
            lr(wrong_value)
