"""Tests of genrelib.models: shapes, parameter counts derived by hand, quirk options, weights."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest
import torch
import torchvision

from genrelib.errors import ConfigError, WeightsUnavailableError
from genrelib.models import (
    DEEP_MODELS,
    BaseCRNN,
    ExtendedCRNN,
    block_table,
    build_model,
    count_parameters,
    layer_table,
    parameter_comparison,
    receptive_field,
)
from genrelib.models.crnn import BASE_POOLS, EXTENDED_POOLS, fuse_for_inference
from genrelib.models.resnet import FROZEN_CHILDREN, RESNET18_FILENAME, ResNetTransfer


def conv(i: int, o: int) -> int:
    """Parameters of a 3x3 convolution with bias."""
    return i * o * 9 + o


def gru_layer(inputs: int, hidden: int) -> int:
    """Parameters of one PyTorch GRU layer: 3 gates x (W_ih, W_hh, b_ih, b_hh)."""
    return 3 * (hidden * inputs + hidden * hidden + 2 * hidden)


def test_base_crnn_parameter_count() -> None:
    """Base CRNN on (1, 192, T): 392,778 parameters.

    conv: 1->64: 640; 64->128: 73,856; 128->128: 147,584 twice          = 369,664
    batch norm (gamma, beta per channel): 2 x (64 + 128 + 128 + 128)    =     896
    GRU 1: input 128 (128 channels x 1 remaining row), 32 units:
        3 x (32*128 + 32*32 + 2*32)                                     =  15,552
    GRU 2: input 32: 3 x (32*32 + 32*32 + 2*32)                         =   6,336
    dense 32 -> 10: 330
    total                                                               = 392,778
    """
    convs = conv(1, 64) + conv(64, 128) + 2 * conv(128, 128)
    assert convs == 369_664
    expected = convs + 2 * (64 + 128 + 128 + 128) + gru_layer(128, 32) + gru_layer(32, 32) + 330
    assert expected == 392_778
    model = BaseCRNN()
    assert model.gru_input_size == 128
    assert count_parameters(model) == expected


def test_extended_crnn_parameter_count() -> None:
    """Extended CRNN on (1, 192, T): 3,971,658 parameters.

    conv: 640 + 73,856 + 295,168 (128->256) + 1,180,160 (256->512) + 2,359,808 (512->512)
                                                                        = 3,909,632
    batch norm: 2 x (64 + 128 + 256 + 512 + 512)                        =     2,944
    frequency 192 / (2*2*2*4*4) -> 1 row, so GRU input 512:
    GRU 1: 3 x (32*512 + 32*32 + 64) = 52,416; GRU 2: 6,336; dense: 330
    total                                                               = 3,971,658
    """
    convs = conv(1, 64) + conv(64, 128) + conv(128, 256) + conv(256, 512) + conv(512, 512)
    expected = (
        convs + 2 * (64 + 128 + 256 + 512 + 512) + gru_layer(512, 32) + gru_layer(32, 32) + 330
    )
    assert expected == 3_971_658
    model = ExtendedCRNN()
    assert model.gru_input_size == 512
    assert count_parameters(model) == expected


def test_authors_code_variant_reproduces_256_wide_gru_input() -> None:
    """3-channel 288-band images: 288 -> 144 -> 36 -> 9 -> 2 rows, GRU input 2 x 128 = 256.

    count: conv 3->64 (1,792) + 73,856 + 2 x 147,584 + BN 896 + GRU 3 x (32*256 + 32*32 + 64)
    (27,840) + 6,336 + 330 = 406,218.
    """
    model = build_model("base_crnn", n_mels=288, input_channels=3)
    assert model.gru_input_size == 256
    expected = (
        conv(3, 64) + conv(64, 128) + 2 * conv(128, 128) + 896 + gru_layer(256, 32) + 6_336 + 330
    )
    assert count_parameters(model) == expected == 406_218


def test_parameter_comparison_explains_paper_counts() -> None:
    """Authors' ResNet count: ResNet-18 without fc (11,689,512 - 513,000) + dense 330, no GRU."""
    table = parameter_comparison()
    assert list(table.index) == list(DEEP_MODELS)
    assert table.loc["base_crnn", "ours"] == 392_778
    assert table.loc["extended_crnn", "ours"] == 3_971_658
    resnet_without_fc = count_parameters(torchvision.models.resnet18(weights=None)) - (
        512 * 1000 + 1000
    )
    assert (
        table.loc["resnet18", "authors_code_without_gru"] == resnet_without_fc + 330 == 11_176_842
    )
    assert (
        table.loc["resnet18", "ours"]
        == resnet_without_fc + gru_layer(512, 32) + 2 * gru_layer(32, 32) + 330
    )
    # both CRNN totals of the paper sit exactly 6 above the GRU-less authors'-code builds
    assert list(table.loc[["base_crnn", "extended_crnn"], "paper_minus_without_gru"]) == [6, 6]


@pytest.mark.parametrize("name", DEEP_MODELS)
def test_forward_shape_and_layer_table(name: str) -> None:
    model = build_model(name)
    x = torch.randn(2, 1, 192, 64)
    assert model(x).shape == (2, 10)
    table = layer_table(model, (1, 1, 192, 64))
    assert table["params"].sum() == count_parameters(model)
    assert table["trainable"].sum() == count_parameters(model, trainable_only=True)
    gru = table.set_index("name").loc["head.gru"]
    expected_steps = {"base_crnn": 64 // 16, "extended_crnn": 64 // 8, "resnet18": 64 // 32}[name]
    assert gru["output_shape"] == (1, expected_steps, 32)
    assert model.training  # layer_table restores the mode


@pytest.mark.parametrize("name", ["base_crnn", "extended_crnn"])
def test_fused_crnn_gives_the_same_outputs(name: str) -> None:
    """Batch norm folded into the convolutions, max pool before ELU: the eval-mode outputs of
    the original, to float rounding; the original model is left as it was."""
    torch.manual_seed(0)
    model = build_model(name)
    norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    for norm in norms:  # statistics and affine maps as training leaves them, signs mixed
        norm.running_mean.uniform_(-1, 1), norm.running_var.uniform_(0.2, 3)
        norm.weight.data.uniform_(-1.5, 1.5), norm.bias.data.uniform_(-0.5, 0.5)
    fused = fuse_for_inference(model)
    assert model.training and norms[0] in list(model.modules())
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in fused.modules())
    assert fuse_for_inference(fused) is fused  # nothing left to fuse: no second copy
    x = 3 * torch.randn(3, 1, 192, 128)
    with torch.inference_mode():
        expected, ours = model.eval()(x), fused(x)
    assert (ours - expected).abs().max() <= 1e-5 * expected.abs().max()


def test_base_crnn_block_shapes() -> None:
    table = layer_table(BaseCRNN(), (1, 1, 192, 988)).set_index("name")
    pooled = [table.loc[f"blocks.{i}.3", "output_shape"] for i in range(4)]
    assert pooled == [(1, 64, 96, 494), (1, 128, 24, 247), (1, 128, 6, 123), (1, 128, 1, 61)]


def test_block_table_sums_each_part_of_a_crnn() -> None:
    table = block_table(ExtendedCRNN(), (1, 1, 192, 259))
    assert list(table.index) == [*(f"block {i}" for i in range(1, 6)), "GRU", "dense"]
    assert table.loc["block 5", "output"] == (1, 512, 1, 32)  # time pooled by 2 x 2 x 2 only
    assert table.loc["GRU", "output"] == (1, 32, 32)  # 32 steps of 32 units
    assert table.loc["block 4", "parameters"] == conv(256, 512) + 2 * 512  # conv + batch norm
    assert table.loc["GRU", "parameters"] == gru_layer(512, 32) + gru_layer(32, 32)
    assert table["parameters"].sum() == count_parameters(ExtendedCRNN())
    assert (table["trained"] == table["parameters"]).all()
    resnet = block_table(ResNetTransfer(n_mels=192), (1, 1, 192, 259))
    assert list(resnet.index[:8]) == [
        "conv1",
        "bn1",
        "relu",
        "maxpool",
        *(f"layer{i}" for i in range(1, 5)),
    ]
    assert resnet.loc["layer4", "output"] == (1, 512, 6, 9)  # 192 / 32 bands, 259 -> 9 frames
    assert resnet.loc["layer2", "trained"] == 0 and resnet.loc["layer3", "trained"] > 0
    assert resnet.loc["GRU", "output"] == (1, 9, 32)  # the sequence head reads 9 steps


def test_receptive_field_by_hand_and_by_gradient() -> None:
    # By hand, frequency axis of the base CRNN: conv +2, pool 2 (+1) -> 4, jump 2; conv +4,
    # pool 4 (+6) -> 14, jump 8; conv +16, pool 4 (+24) -> 54, jump 32; conv +64, pool 4 (+96)
    # -> 214, jump 128. Time axis (pools of 2): 4, 10, 22, 46; jump 16.
    base = receptive_field(BASE_POOLS)
    assert base["bands"].tolist() == [4, 14, 54, 214] and base["frames"].tolist() == [4, 10, 22, 46]
    assert base[["band_step", "frame_step"]].iloc[-1].tolist() == [128, 16]
    assert receptive_field(EXTENDED_POOLS)["frames"].iloc[-1] == 54
    # the input frames that move one output cell of the blocks: the field, cut by the edges
    torch.manual_seed(0)
    blocks = BaseCRNN(n_mels=192).blocks.eval()
    x = torch.randn(1, 1, 192, 200, requires_grad=True)
    blocks(x)[0, :, 0, 6].sum().backward()
    frames = (x.grad[0, 0].abs().sum(dim=0) > 0).nonzero().flatten()
    assert frames.max() - frames.min() + 1 <= 46 and frames.max() - frames.min() + 1 > 16 * 2
    with pytest.raises(ConfigError, match="positive"):
        receptive_field([(2, 0)])


def test_double_softmax_outputs_probabilities() -> None:
    torch.manual_seed(0)
    model = build_model("base_crnn", double_softmax=True).eval()
    out = model(torch.randn(3, 1, 192, 32))
    assert model.outputs_probabilities
    assert torch.allclose(out.sum(dim=1), torch.ones(3), atol=1e-5)
    assert (out >= 0).all()


def test_first_layer_readout_leaves_top_gru_layer_without_gradient() -> None:
    x = torch.randn(2, 1, 192, 32)
    for readout, top_gets_gradient in (("last", True), ("first_layer", False)):
        model = build_model("base_crnn", gru_readout=readout)
        model(x).sum().backward()
        grad = model.head.gru.weight_hh_l1.grad
        has_gradient = grad is not None and bool(grad.abs().sum() > 0)
        assert has_gradient is top_gets_gradient
        assert model.head.gru.weight_hh_l0.grad.abs().sum() > 0


def test_invalid_names_options_and_inputs() -> None:
    with pytest.raises(ConfigError, match="unknown model"):
        build_model("vgg")
    with pytest.raises(ConfigError, match="unknown option"):
        build_model("base_crnn", faithful=True)
    with pytest.raises(ConfigError, match="gru_readout"):
        build_model("extended_crnn", gru_readout="middle")
    with pytest.raises(ConfigError, match="too small"):
        build_model("base_crnn", n_mels=64)
    with pytest.raises(ConfigError, match="conv_dropout"):
        build_model("base_crnn", conv_dropout=1.5)
    model = build_model("base_crnn")
    with pytest.raises(ConfigError, match="expected input"):
        model(torch.zeros(1, 1, 128, 64))
    with pytest.raises(ConfigError, match="too few"):
        model(torch.zeros(1, 1, 192, 8))


def test_resnet_freezing_and_heads() -> None:
    model = build_model("resnet18")
    frozen = model.frozen_modules()
    assert [type(m).__name__ for m in frozen[:4]] == ["Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d"]
    assert len(frozen) == len(FROZEN_CHILDREN) == 6
    frozen_count = sum(p.numel() for m in frozen for p in m.parameters())
    assert all(not p.requires_grad for m in frozen for p in m.parameters())
    assert count_parameters(model, trainable_only=True) == count_parameters(model) - frozen_count
    model.train()
    assert not frozen[1].training and model.backbone[6].training  # frozen BN keeps its statistics
    faithful = build_model("resnet18", faithful=True)
    gru = layer_table(faithful, (1, 1, 192, 96)).set_index("name").loc["head.gru"]
    assert gru["output_shape"] == (1, 1, 32)  # global pool: a sequence of one step
    torch.manual_seed(0)
    plain = build_model("resnet18").eval()
    normed = build_model("resnet18", imagenet_norm=True).eval()
    normed.load_state_dict(plain.state_dict())
    x = torch.randn(1, 1, 192, 64)
    assert not torch.allclose(plain(x), normed(x))


@pytest.fixture()
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path):
    """An empty torch cache and no network: any download attempt raises URLError."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))

    def refuse(*args, **kwargs):
        raise urllib.error.URLError("network is blocked in tests")

    monkeypatch.setattr(torch.hub, "download_url_to_file", refuse)
    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    return tmp_path / "torch" / "hub" / "checkpoints"


def test_pretrained_without_weights_raises_one_line_error(offline) -> None:
    with pytest.raises(WeightsUnavailableError) as info:
        build_model("resnet18", pretrained=True)
    message = str(info.value)
    assert "\n" not in message
    assert RESNET18_FILENAME in message and str(offline) in message
    with pytest.raises(WeightsUnavailableError, match="does not exist"):
        build_model("resnet18", pretrained=True, weights_path=str(offline / "missing.pth"))


def test_pretrained_loads_local_and_cached_weights(offline) -> None:
    reference = torchvision.models.resnet18(weights=None)
    offline.mkdir(parents=True)
    local = offline / RESNET18_FILENAME
    torch.save(reference.state_dict(), local)
    for options in ({"weights_path": str(local)}, {}):  # explicit path, then torch's cache
        model = build_model("resnet18", pretrained=True, **options)
        assert torch.equal(model.backbone[0].weight, reference.conv1.weight)
        assert torch.equal(model.backbone[7][1].conv2.weight, reference.layer4[1].conv2.weight)
    local.write_bytes(b"not a checkpoint")
    with pytest.raises(WeightsUnavailableError, match="could not read"):
        ResNetTransfer(pretrained=True)
