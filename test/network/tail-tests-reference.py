"""
Reference values for test/network/tail-tests.test.ts, computed independently of the TypeScript
code with numpy, scipy and mpmath (not needed by CI: the test holds the printed constants).

    python3 test/network/tail-tests-reference.py

- x_min, α, KS: Clauset-Shalizi-Newman's continuous fit, written here in numpy.
- Truncated log-normal MLE (μ, σ): scipy.optimize.minimize on the negative log-likelihood
  Σ −ln φ((ln x − μ)/σ) + ln x + ln σ + ln(1 − Φ((ln x_min − μ)/σ)), Nelder–Mead then BFGS from
  the untruncated MLE; and, as the printed reference, the same maximum by moment matching
  (the truncated log-normal is an exponential family in t = ln(x/x_min): the MLE solves
  E[t] = mean t, E[t²] = mean t²) at 40 digits with mpmath. scipy's optimiser is printed too: it
  agrees to ~1e-7 except near the power-law limit, where it stops early (sample D: 5e-6).
- λ: scipy.stats.expon.fit(tail, floc=x_min).
- R and Vuong's statistic at those parameters with scipy.stats log-densities.
"""
import mpmath as mp
import numpy as np
from scipy import optimize, stats

mp.mp.dps = 40


def ks_fit(x, min_tail=10):
    x = np.sort(np.asarray(x, float))
    best = None
    for i in range(len(x)):
        if i > 0 and x[i] == x[i - 1]:
            continue
        t = x[i:]
        m = len(t)
        if m < min_tail:
            break
        s = np.sum(np.log(t / x[i]))
        if s <= 0:
            continue
        a = 1 + m / s
        cdf = 1 - (t / x[i]) ** (1 - a)
        d = max(np.max(np.abs(cdf - np.arange(m) / m)), np.max(np.abs(np.arange(1, m + 1) / m - cdf)))
        if best is None or d < best[2]:
            best = (a, x[i], d, m)
    return best


def lognormal_nll(params, tail, xmin):
    mu, log_s = params
    s = np.exp(log_s)
    return -np.sum(stats.norm.logpdf((np.log(tail) - mu) / s) - np.log(tail) - np.log(s)
                   - stats.norm.logsf((np.log(xmin) - mu) / s))


def scipy_lognormal(tail, xmin):
    start = [np.mean(np.log(tail)), np.log(np.std(np.log(tail)))]
    r = optimize.minimize(lognormal_nll, start, args=(tail, xmin), method='Nelder-Mead',
                          options=dict(xatol=1e-12, fatol=1e-14, maxiter=20000, maxfev=40000))
    r = optimize.minimize(lognormal_nll, r.x, args=(tail, xmin), method='BFGS', options=dict(gtol=1e-10))
    return r.x[0], np.exp(r.x[1])


def mpmath_lognormal(tail, xmin):
    t = [mp.log(mp.mpf(v) / mp.mpf(xmin)) for v in tail]
    m1 = sum(t) / len(t)
    c = sum(v * v for v in t) / len(t) / m1 ** 2
    if c >= 2:
        return None  # the maximum is the power-law limit (μ → −∞, σ → ∞)

    def moments(a, b):  # of the normal N(bσ², σ²), σ² = 1/(2a), truncated to t ≥ 0
        sg = 1 / mp.sqrt(2 * a)
        mean = b * sg ** 2
        z0 = -mean / sg
        lam = mp.npdf(z0) / (mp.erfc(z0 / mp.sqrt(2)) / 2)
        e1 = mean + sg * lam
        return e1, sg ** 2 * (1 + z0 * lam - lam ** 2) + e1 ** 2

    # in units of mean t (E[t'] = 1, E[t'²] = c), parameters (ln a, b)
    f = lambda la, b: [u - v for u, v in zip(moments(mp.exp(la), b), (1, c))]
    sol = mp.findroot(f, (mp.log(1 / (2 * (c - 1))), 1 / (c - 1)), solver='mdnewton', maxsteps=200, tol=mp.mpf(10) ** -60)
    a, b = mp.exp(sol[0]) / m1 ** 2, sol[1] / m1
    sigma = 1 / mp.sqrt(2 * a)
    return float(mp.log(mp.mpf(xmin)) + b * sigma ** 2), float(sigma)


def vuong(pl, alt):
    l = pl - alt
    r = l.sum()
    sd = np.sqrt(np.mean((l - l.mean()) ** 2))
    return r, r / (sd * np.sqrt(len(l)))


def analyse(x):
    alpha, xmin, ks, m = ks_fit(x)
    tail = np.sort(x)[len(x) - m:]
    pl = np.log(alpha - 1) - np.log(xmin) - alpha * np.log(tail / xmin)
    lam = 1 / stats.expon.fit(tail, floc=xmin)[1]
    out = dict(alpha=alpha, xmin=xmin, ks=ks, nTail=m, lam=lam,
               scipy_mu_sigma=scipy_lognormal(tail, xmin))
    out['R_exp'], out['stat_exp'] = vuong(pl, stats.expon.logpdf(tail, loc=xmin, scale=1 / lam))
    ln = mpmath_lognormal(tail, xmin)
    if ln is None:
        out['lognormal'] = 'power-law limit'
        out['scipy_nll_minus_power_law_nll'] = lognormal_nll([out['scipy_mu_sigma'][0], np.log(out['scipy_mu_sigma'][1])], tail, xmin) + pl.sum()
    else:
        mu, s = ln
        out['mu'], out['sigma'] = mu, s
        alt = (stats.norm.logpdf((np.log(tail) - mu) / s) - np.log(tail) - np.log(s)
               - stats.norm.logsf((np.log(xmin) - mu) / s))
        out['R_ln'], out['stat_ln'] = vuong(pl, alt)
    return out


# Samples rounded to 4 decimals so the test can hold them exactly.
samples = {
    'A': np.round(np.random.default_rng(12).lognormal(0.0, 1.0, 40), 4),  # log-normal
}
rng = np.random.default_rng(12)
rng.lognormal(0.0, 1.0, 40)
samples['B'] = np.round((1 - rng.random(40)) ** (-1 / 1.5), 4)  # Pareto α = 2.5
samples['C'] = np.round((1 - np.random.default_rng(1).random(40)) ** (-1 / 1.5), 4)  # tail in the power-law limit
samples['D'] = np.round((1 - np.random.default_rng(11).random(40)) ** (-1 / 1.5), 4)  # tail close to that limit

for name, x in samples.items():
    print(f'{name}: [' + ', '.join(repr(float(v)) for v in x) + ']')
    for k, v in analyse(x).items():
        print(f'  {k}: {v!r}')
for z in (-3, 0, 5, 20, 40):
    print(f'logsf({z}) = {float(stats.norm.logsf(z))!r}')
