"""linnerud (std, random split): test RMSE of kanlab.pykan with its default continuation and with
``extrapolate="extended"``/``"linear"``, split into the test rows near the training range and the
one 6.5 sd beyond it (evidence for the continuation work).  Run from the repo root with
PYTHONPATH=src:. after benchmarks/pykan_tables_r13.py."""
import numpy as np
import benchmarks.pykan_tables_r13 as B  # noqa: E402
import torch, importlib, contextlib, io
kind,_,x,y=B.load_table('linnerud')
tr,va,te=B.splits(len(x),'rand')
prep=B.Prep('std',x[tr],y[tr],kind)
near=[0,2,3]
for lib,ex in [('kan',None),('kanlab.pykan',None),('kanlab.pykan','extended'),('kanlab.pykan','linear')]:
    K=importlib.import_module(lib)
    out=[]
    for seed in [0,1,2]:
      for g,l in B.CONFIGS:
        ds={"train_input":torch.tensor(prep.x(x[tr]),dtype=torch.float32),"train_label":torch.tensor(prep.y(y[tr]),dtype=torch.float32),
            "test_input":torch.tensor(prep.x(x[va]),dtype=torch.float32),"test_label":torch.tensor(prep.y(y[va]),dtype=torch.float32)}
        torch.manual_seed(seed)
        kw={} if ex is None else {'extrapolate':ex}
        m=K.KAN(width=[3,5,3],grid=g,k=3,seed=seed,auto_save=False,**kw)
        with contextlib.redirect_stdout(io.StringIO()):
            r=m.fit(ds,opt='LBFGS',steps=20,lamb=l)
        p=B._predictor(m,kind,prep)
        out.append((B.score(kind,p(x[te]),y[te]), B.score(kind,p(x[te][near]),y[te][near]), B.score(kind,p(x[te][[1]]),y[te][[1]])))
    o=np.array(out); print(lib,ex,'median test all/near/far-row', np.median(o,0).round(1), 'max', o.max(0).round(1))
