"""`fails_on_negative`: a test model that fails on purpose.

The end-to-end job tests load it (test_repository) to see retries and
dead-letter records: OUTPUT0 = 2 * INPUT0, and the module raises when any
input element is negative, so a request chooses to fail. No dynamic
batching, so a failing request never fails a neighbour.
"""

import torch

NAME = "fails_on_negative"


class FailsOnNegative(torch.nn.Module):
    """INPUT0 [batch, 4] FP32 -> OUTPUT0 [batch, 4]; raises on negatives."""

    def forward(self, INPUT0: torch.Tensor) -> torch.Tensor:
        if bool((INPUT0 < 0).any()):
            raise RuntimeError("fails_on_negative: negative input")
        return INPUT0 * 2.0


def failing_spec(model_spec_class):
    """The ModelSpec (class passed in by the builder); its golden case is
    one that succeeds."""
    case = {"INPUT0": torch.tensor([[1.0, 2.0, 3.0, 4.0]])}
    return model_spec_class(NAME, FailsOnNegative(), 8,
                            [("INPUT0", "FP32", [4])],
                            [("OUTPUT0", "FP32", [4])], [case])
