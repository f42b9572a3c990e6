"""MLPs of the aggregation blocks (paper Eq. 8, Table 12)."""
import torch
import torch.nn as nn
import torch.nn.functional as F

__all__ = ['AggregationMlp']

MLP_TYPES = ('star', 'vanilla')
#: Tokens per block of the inference MLP (a C' = 384 block of 4096 rows is 6 MiB per hidden half).
INFERENCE_ROWS = 4096


class AggregationMlp(nn.Module):
    """Token MLP of an aggregation block.

    ``star`` (the paper's modified MLP, official): ``fc3(ReLU6(fc1(x)) * fc2(x))``.
    This is the official code; the paper's Eq. 8 writes ``f_out(sigma(f_in1(x) * f_in2(x)))``,
    the activation after the product, and describes the depth-wise convolution
    as coming before the MLP, where the official block applies it after ``fc3``.
    ``vanilla`` (Table 12 baseline): ``fc3(ReLU6(fc1(x)))``.
    The spatial block follows it with a depth-wise 7x7 convolution on the token
    grid, the class block with a final ReLU6, as the official blocks do.

    Args:
        dim: Token channels C.
        hidden_dim: Expanded channels C'.
        mlp_type: 'star' | 'vanilla'.
        dwconv: Append a depth-wise 7x7 convolution (spatial block).
        out_act: Append ReLU6 (class block).
    """

    def __init__(self, dim: int, hidden_dim: int, mlp_type: str = 'star', dwconv: bool = False,
                 out_act: bool = False):
        super().__init__()
        if mlp_type not in MLP_TYPES:
            raise ValueError(f'mlp_type must be one of {MLP_TYPES}, got {mlp_type!r}')
        self.mlp_type = mlp_type
        self.fc1 = nn.Linear(dim, hidden_dim)
        self.fc2 = nn.Linear(dim, hidden_dim) if mlp_type == 'star' else None
        self.fc3 = nn.Linear(hidden_dim, dim)
        self.dwconv = nn.Conv2d(dim, dim, 7, padding=3, groups=dim) if dwconv else None
        self.out_act = out_act

    def forward(self, x: torch.Tensor, hw=None) -> torch.Tensor:
        """Args: x: tokens (N, L, C); hw: (H, W) of the token grid when ``dwconv``."""
        if torch.is_grad_enabled():
            h = F.relu6(self.fc1(x))
            if self.fc2 is not None:
                h = h * self.fc2(x)
            x = self.fc3(h)
        else:
            x = self._inplace(x)
        if self.dwconv is not None:
            n, _, c = x.shape
            grid = x.view(n, *hw, c).permute(0, 3, 1, 2)  # channels-last view, no copy
            x = self.dwconv(grid).permute(0, 2, 3, 1).reshape(n, -1, c)
        if self.out_act:
            x = F.relu6(x) if torch.is_grad_enabled() else x.clamp_(0.0, 6.0)
        return x

    def _inplace(self, x: torch.Tensor) -> torch.Tensor:
        """The same MLP without autograd, in row blocks of ``INFERENCE_ROWS`` tokens.

        The C' hidden activations of all tokens would be hundreds of MiB of fresh pages per call; a
        block's stay in cache and in the allocator's reused memory. fc1 and fc2 run as one product and
        the activations are updated in place. Rows are independent: the same values as one block.
        """
        rows = x.reshape(-1, x.shape[-1])
        w, b = self.fc1.weight, self.fc1.bias
        if self.fc2 is not None:
            w, b = torch.cat([w, self.fc2.weight]), torch.cat([b, self.fc2.bias])
        out = None
        for start in range(0, rows.shape[0], INFERENCE_ROWS):
            h = F.linear(rows[start:start + INFERENCE_ROWS], w, b)
            if self.fc2 is not None:
                h, gate = h.chunk(2, dim=-1)
                h = h.clamp_(0.0, 6.0).mul_(gate)
            else:
                h = h.clamp_(0.0, 6.0)
            y = F.linear(h, self.fc3.weight, self.fc3.bias)  # (autocast decides its dtype)
            if out is None:
                out = y.new_empty(rows.shape[0], y.shape[-1])
            out[start:start + INFERENCE_ROWS] = y
        return out.view(*x.shape[:-1], -1)
