"""core.loss_terms: the CLIP loss split into matched and log-sum-exp terms; the shift landscape minimum."""

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from modgap_edu.core import loss_terms as LT
from modgap_edu.core import shift
from modgap_edu.core.losses import clip_loss


def _pairs(n=120, d=16, seed=0, gap=1.5):
    rng = np.random.default_rng(seed)
    base = rng.normal(size=(n, d))
    off = np.zeros(d)
    off[0] = gap
    return base + off + 0.3 * rng.normal(size=(n, d)), base - off + 0.3 * rng.normal(size=(n, d))


@pytest.mark.parametrize("tau", [0.01, 0.07, 1.0])
def test_terms_sum_to_clip_loss(tau):
    x, y = _pairs()
    t = LT.clip_loss_terms(x, y, tau)
    assert abs(t.matched + t.logsumexp - float(clip_loss(x, y, tau))) < 1e-10
    off = LT.clip_loss_terms(x, y, tau, protocol="official")
    assert abs(off.total - float(clip_loss(x, y, tau, direction="image_to_text"))) < 1e-10
    assert t.matched < 0 < t.logsumexp


def test_batched_terms_match_liang_protocol():
    x, y = _pairs(n=130)
    for protocol in ("official", "symmetric"):
        t = LT.clip_loss_terms(x, y, 0.01, batch_size=50, protocol=protocol)
        assert abs(t.total - shift.batched_clip_loss(x, y, 0.01, 50, protocol)) < 1e-10


def test_closed_form_along_shift_equals_explicit_shift():
    x, y = _pairs(n=100)
    alphas = [-0.7, 0.0, 0.25, 0.5, 1.3]
    st = LT.loss_terms_along_shift(x, y, 0.02, alphas=alphas, batch_size=40)
    pc1 = shift.pc1_direction(x, y)
    for k, a in enumerate(alphas):
        xs, ys = shift.shift_embeddings(x, y, alpha=a)
        ref = LT.clip_loss_terms(xs, ys, 0.02, batch_size=40)
        assert abs(st.matched[k] - ref.matched) < 1e-9 and abs(st.logsumexp[k] - ref.logsumexp) < 1e-9
        assert abs(st.signed_gap[k] - shift.signed_gap(xs, ys, pc1)) < 1e-12
        assert abs(st.lams[k] - shift.alpha_to_lam(a, st.gap_norm)) < 1e-12
    lam_form = LT.loss_terms_along_shift(x, y, 0.02, lams=st.lams, batch_size=40)
    assert np.allclose(lam_form.total, st.total, atol=1e-12)


def test_closing_the_gap_trades_matched_for_logsumexp():
    x, y = _pairs()
    ch = LT.loss_terms_along_shift(x, y, 0.01).change(0.0, 0.5)
    assert ch["matched"] < 0 < ch["logsumexp"]
    assert abs(ch["matched"] + ch["logsumexp"] - ch["total"]) < 1e-9


def test_landscape_minimum_is_the_minimum_within_the_step():
    x, y = _pairs(n=100, seed=3)
    m = LT.landscape_minimum(x, y, 1.0, alpha_range=(-0.5, 1.5), step=0.005, protocol="symmetric")

    def loss(a):
        xs, ys = shift.shift_embeddings(x, y, alpha=a)
        return shift.batched_clip_loss(xs, ys, 1.0, 50, "symmetric")

    assert m.loss <= m.loss0 + 1e-12
    assert abs(m.loss0 - loss(0.0)) < 1e-10 and abs(m.loss - loss(m.alpha)) < 1e-10
    fine = minimize_scalar(loss, bounds=(m.alpha - 0.01, m.alpha + 0.01), method="bounded", options={"xatol": 1e-6})
    assert abs(fine.x - m.alpha) <= m.step
    assert abs(m.lam - 2 * m.alpha * m.gap0) < 1e-12
    assert m.at_zero == (abs(m.alpha) <= m.step / 2)


@pytest.mark.parametrize(
    "kwargs, word",
    [({"temperature": 0}, "temperature"), ({"protocol": "x"}, "protocol"), ({"batch_size": 0}, "batch_size")],
)
def test_bad_arguments_name_themselves(kwargs, word):
    x, y = _pairs(n=20)
    with pytest.raises(ValueError, match=word):
        LT.clip_loss_terms(x, y, **{"temperature": 0.01, **kwargs})


def test_bad_shift_arguments():
    x, y = _pairs(n=20)
    with pytest.raises(ValueError, match="image_emb"):
        LT.clip_loss_terms(x[:10], y, 0.01)
    with pytest.raises(ValueError, match="alpha_range"):
        LT.landscape_minimum(x, y, 0.01, alpha_range=(0.1, 1.0))
    with pytest.raises(ValueError, match="step"):
        LT.landscape_minimum(x, y, 0.01, step=-1)
    with pytest.raises(ValueError, match="not both"):
        LT.loss_terms_along_shift(x, y, alphas=[0.0], lams=[0.0])
    with pytest.raises(ValueError, match="alphas"):
        LT.loss_terms_along_shift(x, y, alphas=[np.nan])
    with pytest.raises(ValueError, match="centroids coincide"):
        LT.loss_terms_along_shift(x, x, alphas=[0.0])
