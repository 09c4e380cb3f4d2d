"""kanlab forward+backward vs the dense limit on a few cases, one process, medians (a quick check).

Usage: ``python benchmarks/layer_ratio.py 784,64,10:512:5 256,256:4096:50`` (widths:batch:G).
"""
import sys, time, torch
torch.set_num_threads(1)
import kanlab
from kanlab.ops import _extension as extension
ops = extension.ops()
def t(fn, n=None, budget=1.0):
    fn(); 
    s=time.perf_counter(); fn(); one=time.perf_counter()-s
    n = n or max(3, int(budget/one))
    ts=[]
    for _ in range(n):
        s=time.perf_counter(); fn(); ts.append(time.perf_counter()-s)
    ts.sort(); return ts[len(ts)//2]*1e3
def case(width, B, G):
    g=torch.Generator().manual_seed(0)
    if len(width)==2:
        m = kanlab.KANLayer(*width, grid=G, k=3, generator=g)
    else:
        m = kanlab.KAN(list(width), grid=G, k=3, seed=0)
    x = (torch.rand(B, width[0], generator=g)*2-1).requires_grad_()
    ps=[p for p in m.parameters() if p.requires_grad]
    def fb():
        return torch.autograd.grad(m(x).sum(), ps+[x])
    def f():
        with torch.no_grad(): return m(x)
    # dense limit
    nb = G+3
    lins=[torch.nn.Linear(a*nb, b_, bias=False) for a,b_ in zip(width[:-1],width[1:])]
    feats=[torch.randn(B, a*nb, requires_grad=True) for a in width[:-1]]
    def dl():
        loss = sum(l(f_).sum() for l,f_ in zip(lins,feats))
        return torch.autograd.grad(loss, [l.weight for l in lins]+feats)
    r = dict(fwd=t(f), fb=t(fb), dense=t(dl))
    print(width, B, G, {k: round(v,2) for k,v in r.items()}, 'ratio', round(r['fb']/r['dense'],2), flush=True)
    return m, x
if __name__=="__main__":
    for spec in sys.argv[1:]:
        w,B,G = spec.split(':'); case(tuple(int(a) for a in w.split(',')), int(B), int(G))
