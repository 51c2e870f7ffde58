"""Time and memory of the exact blockwise FSL vs the dense reference.

Example::

    python tools/analysis/benchmark_losses.py --threads 1 --repeats 3

For each shape (default ``8x21x56x56`` and ``2x21x112x112``, N×C×h×w) and
implementation — ``exact``: :func:`feature_similarity_loss` (blockwise,
custom autograd Function); ``dense``: :func:`dense_feature_similarity_loss`
(every (N, h·w, h·w) pair tensor, plain autograd, as the official code);
optionally ``window15``: the exact code with a 31×31 square window — it
measures one forward + backward on the same inputs (a SEAM-like prediction
map from smooth random CAMs with 1-3 present classes and a smooth random
image with noise; seeded, identical in every run), after a warm-up on a
tiny input, and prints a table: wall and CPU seconds (medians over the
runs; on a loaded machine CPU time is the steadier figure, with one
thread it approximates the wall time on an idle machine), peak extra
memory in MiB, and the relative errors of the loss and of the gradient
wrt the prediction map.

Memory. Every case runs in a fresh child process, so nothing earlier in
the run (other cases, the allocator's caches) hides or inflates its peak.
On CPU, ``tracemalloc`` cannot be used (torch allocates outside Python's
allocator) and ``ru_maxrss`` is a high-water mark since process start, so
an import-time peak could hide a smaller one. The child therefore, after
allocating the inputs, returns the freed heap pages to the kernel
(glibc ``malloc_trim(0)``: otherwise memory freed while making the inputs
could be reused without raising the RSS), resets the kernel's
high-water mark (``echo 5 > /proc/self/clear_refs``, Linux >= 4.0), runs
the first forward + backward and reports ``VmHWM`` (peak RSS since the
reset) minus ``VmRSS`` just before: the peak extra resident memory of
that call, pages of freed temporaries included. If the reset is not
permitted it falls back to ``ru_maxrss`` minus the RSS before, which
under-reports when an earlier peak was higher (flagged with ``*``). With
``--device cuda`` it is ``torch.cuda.max_memory_allocated`` minus the
memory allocated before (peak statistics reset first).

Accuracy. Errors are relative (L2 norm for the gradient) vs ``dense`` run
in the same dtype, and vs a float64 reference: the exact code in float64
(computed, untimed, by the ``exact`` child; in the unit tests it equals
the dense float64 loss to ~1e-15), which shows each float32 result's own
rounding error. ``window15`` is a different (truncated) loss: its errors
are the truncation effect.

Threads: ``--threads`` sets ``torch.set_num_threads`` (and OMP/MKL) in the
children; the figures depend on it and on the machine's load.
"""
import argparse
import ctypes
import json
import os
import os.path as osp
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))

IMPLS = ('exact', 'dense', 'window15')


def _proc_status_kib(field: str) -> int:
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    raise KeyError(field)


def _release_free_heap() -> None:
    """Give freed heap pages back to the kernel (glibc ``malloc_trim``), so
    that reusing them during the measured call shows up in the RSS."""
    try:
        ctypes.CDLL('libc.so.6').malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _reset_peak_rss() -> bool:
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
        return True
    except OSError:
        return False


def make_inputs(shape: tuple, dtype, device: str, seed: int = 0) -> tuple:
    """(prediction map (N, C, h, w), guidance image (N, 3, h, w))."""
    import torch
    import torch.nn.functional as F

    from mmwsss.models.losses.fsl_adaptors import fsl_prediction_map
    n, c, h, w = shape
    gen = torch.Generator().manual_seed(seed)
    cams = 3 * F.interpolate(
        torch.randn(n, c - 1, 7, 7, generator=gen, dtype=torch.float64),
        size=(h, w),
        mode='bilinear',
        align_corners=True)
    labels = torch.zeros(n, c - 1, dtype=torch.float64)
    for i in range(n):
        present = torch.randperm(c - 1, generator=gen)[:1 + i % 3]
        labels[i, present] = 1
    pred = fsl_prediction_map(cams, labels)
    image = F.interpolate(
        torch.rand(n, 3, 8, 8, generator=gen, dtype=torch.float64),
        size=(h, w),
        mode='bilinear',
        align_corners=True)
    image = image + 0.03 * torch.randn(
        n, 3, h, w, generator=gen, dtype=torch.float64)
    return (pred.to(device, dtype).contiguous(),
            image.clamp(0, 1).to(device, dtype).contiguous())


def worker(case: dict, out: str) -> None:
    """Run one case in this (fresh) process; write results to ``out``."""
    import torch

    from mmwsss.models.losses.fsl_kernel import feature_similarity_loss
    from tests.references.feature_similarity_loss import (
        dense_feature_similarity_loss,
    )
    torch.set_num_threads(case['threads'])
    device = case['device']
    cuda = device.startswith('cuda')
    dtype = getattr(torch, case['dtype'])
    pred0, guide = make_inputs(tuple(case['shape']), dtype, device)
    impl = case['impl']
    if impl == 'dense':
        fn = dense_feature_similarity_loss
    elif impl == 'window15':
        def fn(p, g):
            return feature_similarity_loss(p, g, window=15)
    else:
        fn = feature_similarity_loss

    def run_once():
        pred = pred0.detach().clone().requires_grad_()
        if cuda:
            torch.cuda.synchronize()
        start, cpu = time.perf_counter(), time.process_time()
        loss = fn(pred, guide)
        loss.backward()
        if cuda:
            torch.cuda.synchronize()
        return ((time.perf_counter() - start, time.process_time() - cpu),
                loss.detach(), pred.grad)

    # warm-up on a tiny input: one-time costs (thread pools, lazily loaded
    # kernels, CUDA context) do not belong to the measured call
    tiny = make_inputs((1, pred0.shape[1], 8, 8), dtype, device, seed=1)
    fn(tiny[0].requires_grad_(), tiny[1]).backward()
    del tiny
    exact_reset = True
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
    else:
        _release_free_heap()
        base = _proc_status_kib('VmRSS')
        exact_reset = _reset_peak_rss()
    seconds, loss, grad = run_once()
    if cuda:
        peak = (torch.cuda.max_memory_allocated() - base) / 2**20
    elif exact_reset:
        peak = (_proc_status_kib('VmHWM') - base) / 1024
    else:
        rusage = resource.getrusage(resource.RUSAGE_SELF)
        peak = (rusage.ru_maxrss - base) / 1024
    times = [seconds]
    for _ in range(case['repeats'] - 1):
        times.append(run_once()[0])  # (wall, CPU) seconds
    extra = {}
    if impl == 'exact':
        pred = pred0.detach().double().requires_grad_()
        ref = feature_similarity_loss(pred, guide.double())
        ref.backward()
        extra = dict(
            ref64_loss=np.float64(ref.item()),
            ref64_grad=pred.grad.cpu().numpy())
    np.savez(
        out,
        **extra,
        loss=np.float64(loss.double().cpu().item()),
        grad=grad.double().cpu().numpy(),
        times=np.array(times),
        peak=np.float64(peak),
        exact_reset=np.bool_(exact_reset))


def run_case(case: dict, tmp: str) -> dict:
    out = osp.join(tmp, f'{case["impl"]}_{"x".join(map(str, case["shape"]))}'
                   '.npz')
    env = dict(os.environ)
    for var in ('OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
        env[var] = str(case['threads'])
    subprocess.run([
        sys.executable,
        osp.abspath(__file__), '--worker',
        json.dumps(case), '--out', out
    ],
                   check=True,
                   env=env,
                   stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    with np.load(out) as res:
        return {key: res[key] for key in res.files}


def parse_shape(text: str) -> tuple:
    shape = tuple(int(v) for v in text.lower().split('x'))
    if len(shape) != 4:
        raise argparse.ArgumentTypeError(f'shape N x C x h x w, got {text}')
    return shape


def rel_err(a, b) -> float:
    return float(np.linalg.norm(np.asarray(a) - np.asarray(b)) /
                 max(np.linalg.norm(np.asarray(b)), 1e-300))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--shapes',
        type=parse_shape,
        nargs='+',
        default=[(8, 21, 56, 56), (2, 21, 112, 112)],
        help='N x C x h x w of the prediction map')
    parser.add_argument(
        '--impls', nargs='+', choices=IMPLS, default=['exact', 'dense'])
    parser.add_argument('--device', default='cpu')
    parser.add_argument(
        '--dtype', choices=('float32', 'float64'), default='float32')
    parser.add_argument(
        '--repeats', type=int, default=3, help='runs per case (median)')
    parser.add_argument(
        '--dense-repeats', type=int, default=1, help='runs of dense cases')
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--worker', help=argparse.SUPPRESS)
    parser.add_argument('--out', help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(json.loads(args.worker), args.out)
        return

    import torch
    print(f'FSL fwd+bwd, {args.device}, {args.dtype}, {args.threads} '
          f'thread(s), torch {torch.__version__}, {os.cpu_count()} CPUs, '
          f'load {os.getloadavg()[0]:.1f}')
    print('| shape (N×C×h×w) | implementation | fwd+bwd wall s | CPU s | '
          'peak extra MiB | loss / grad rel. err vs dense | loss / grad '
          'rel. err vs float64 |')
    print('|' + '---|' * 7)
    summary = []
    with tempfile.TemporaryDirectory() as tmp:
        for shape in args.shapes:
            results = {}
            for impl in args.impls:
                case = dict(
                    shape=list(shape),
                    impl=impl,
                    device=args.device,
                    dtype=args.dtype,
                    threads=args.threads,
                    repeats=max(1, args.dense_repeats
                                if impl == 'dense' else args.repeats))
                results[impl] = run_case(case, tmp)
            ref = results.get('dense')
            ref64 = results.get('exact', {})
            for impl, res in results.items():
                seconds = statistics.median(res['times'][:, 0].tolist())
                cpu = statistics.median(res['times'][:, 1].tolist())
                mark = '' if res['exact_reset'] else '*'
                errs = ['–', '–']
                if ref is not None and impl != 'dense':
                    errs[0] = (f'{rel_err(res["loss"], ref["loss"]):.1e} / '
                               f'{rel_err(res["grad"], ref["grad"]):.1e}')
                if 'ref64_loss' in ref64:
                    errs[1] = (
                        f'{rel_err(res["loss"], ref64["ref64_loss"]):.1e} / '
                        f'{rel_err(res["grad"], ref64["ref64_grad"]):.1e}')
                print(f'| {"x".join(map(str, shape))} | {impl} | '
                      f'{seconds:.3f} | {cpu:.3f} | '
                      f'{float(res["peak"]):.1f}{mark} | '
                      f'{errs[0]} | {errs[1]} |')
                res['seconds'], res['cpu'] = seconds, cpu
            if ref is not None and 'exact' in results:
                ours = results['exact']
                speed = ref['seconds'] / ours['seconds']
                speed_cpu = ref['cpu'] / ours['cpu']
                memory = float(ref['peak']) / max(float(ours['peak']), 1e-3)
                summary.append(f'{"x".join(map(str, shape))}: exact is '
                               f'{speed:.1f}x faster (wall; {speed_cpu:.1f}x '
                               f'in CPU time) and uses {memory:.1f}x less '
                               'peak memory than dense')
    for line in summary:
        print(line)


if __name__ == '__main__':
    main()
