"""The stage runner behind ``tools/run_pipeline.py``: stages 1-5 from one
method config, each cached and resumable through its manifest.

Layout of ``work_dirs/<config stem>/``::

    train/     stage 1: mmengine training run (checkpoints, logs)
    cams/      stage 2: <id>.npz CAMs
    pseudo/    stages 3-4: <id>.png pseudo labels
    segment/   stage 5: mmseg training run on the pseudo labels
    report.json, report.md

Every stage directory has a ``manifest.json`` (:class:`StageManifest`): a
finished stage whose settings and inputs are unchanged is skipped, an
interrupted one resumes (stage 1 and 5 from their last checkpoint, stages 2-4
from the files already written), and a changed setting re-runs that stage and
every stage after it (each stage's input hash is its predecessor's
fingerprint).

The method config carries a ``pipeline`` section::

    pipeline = dict(
        cams=dict(split='train', batch_size=16,
                  metric=dict(fixed_bg_threshold=0.5, boundary_f=True)),
        pseudo=dict(split='train', nproc=2,
                    refiner=dict(type='DenseCRFRefiner', bg_power=1.0)),
        segment=dict(config='configs/deeplab/....py', tta=True,
                     crf_iters=10, cfg_options=dict(...)))

BANA configs give ``pseudo=dict(generator=dict(type=
'BoxPseudoLabelGenerator', ...), nproc=2)`` instead of a refiner: the box
pseudo labels come from the stage-1 checkpoint, Y_crf in ``pseudo/pseudo``
and Y_ret beside it in ``pseudo/pseudo_ret`` (read by the segmentation
dataset's ``ret_dir='pseudo_ret'``).

``tta`` adds the multi-scale + flip column, ``crf_iters`` > 0 a column with
DenseCRF after it (the segmentation config's ``tta_model`` must be a
``CRFSegTTAModel``).

``segment`` may be omitted (the run stops after the pseudo labels), and so
may ``cams`` when the pseudo labels do not come from CAMs (BANA).
"""
import copy
import os.path as osp
import platform
import time
from typing import Callable, Dict, List, Optional, Sequence

from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.runner import Runner
from mmengine.runner.checkpoint import find_latest_checkpoint

from mmwsss.utils import (InvalidInputError, MissingInputError, build_runner,
                          check_data_root, check_pretrained, use_tta)
from mmwsss.utils.atomic_io import atomic_write, atomic_write_json
from .box_pseudo_labels import (evaluate_box_pseudo_labels,
                                make_box_pseudo_labels)
from .cam_inference import build_inference_dataset, evaluate_cams, infer_cams
from .pseudo_labels import evaluate_pseudo_labels, make_pseudo_labels
from .stage_manifest import StageManifest, file_hash, stable_hash

STAGES = ('train', 'cams', 'pseudo', 'segment')
_IGNORED_KEYS = ('pipeline', 'work_dir', 'launcher', 'resume', 'load_from')


def package_versions() -> Dict[str, str]:
    """Versions of Python and the stack, for the report."""
    import mmcv
    import mmengine
    import mmpretrain
    import mmseg
    import numpy
    import torch

    import mmwsss
    return dict(
        python=platform.python_version(),
        torch=torch.__version__,
        numpy=numpy.__version__,
        mmengine=mmengine.__version__,
        mmcv=mmcv.__version__,
        mmseg=mmseg.__version__,
        mmpretrain=mmpretrain.__version__,
        mmwsss=mmwsss.__version__)


def _last_checkpoint(work_dir: str) -> str:
    """The checkpoint an mmengine run recorded last in ``work_dir``."""
    pointer = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(pointer):
        raise MissingInputError(
            f'{work_dir} has no last_checkpoint: the training run saved no '
            'checkpoint. Check default_hooks.checkpoint in the config.')
    with open(pointer) as f:
        return f.read().strip()


def _resume_or_load(cfg: Config) -> None:
    """Continue from the latest checkpoint in ``cfg.work_dir`` when there is
    one; otherwise start fresh, initialised from ``load_from`` if set
    (mmengine would *resume* from ``load_from`` when ``resume=True``)."""
    if find_latest_checkpoint(cfg.work_dir):
        cfg.resume, cfg.load_from = True, None
    else:
        cfg.resume = False


def _val_metrics(runner: Runner) -> dict:
    """The last validation scalars an mmengine run logged."""
    return {
        key[len('val/'):]: float(value.current())
        for key, value in runner.message_hub.log_scalars.items()
        if key.startswith('val/') and 'time' not in key
    }


def _plain(metrics: dict) -> dict:
    """Metrics with numpy scalars turned into Python numbers (JSON)."""
    return {
        k: v.item() if hasattr(v, 'item') and getattr(v, 'ndim', 1) == 0
        else v
        for k, v in metrics.items()
    }


def _split_list_hash(dataset_cfg: dict) -> str:
    """Hash of a dataset's id list file when it can be located, else ''."""
    root = dataset_cfg.get('data_root', '')
    if dataset_cfg.get('ann_file'):
        path = osp.join(root, dataset_cfg['ann_file'])
    elif dataset_cfg.get('split'):
        path = osp.join(root, 'ImageSets', 'Segmentation',
                        f'{dataset_cfg["split"]}.txt')
    else:
        return ''
    return file_hash(path) if osp.isfile(path) else ''


class PipelineRunner:
    """Run the WSSS stages of one method config with caching.

    Args:
        cfg (Config): the method (stage-1) config with a ``pipeline``
            section.
        work_dir (str): root of the stage folders, usually
            ``work_dirs/<config stem>``.
        config_path (str): the config file, for the report.
    """

    def __init__(self, cfg: Config, work_dir: str,
                 config_path: str = '') -> None:
        if 'pipeline' not in cfg:
            raise InvalidInputError(
                f'{config_path or "The config"} has no `pipeline` section; '
                'add pipeline=dict(cams=..., pseudo=..., segment=...) (see '
                'configs/baseline/gap_r38tiny_toy.py).')
        self.cfg = cfg
        self.pipeline = cfg.pipeline
        self.work_dir = work_dir
        self.config_path = config_path
        self.report_path = osp.join(work_dir, 'report.json')
        self.fingerprints: Dict[str, str] = {}
        self.results: Dict[str, dict] = {}

    # --- shared machinery ---------------------------------------------------
    def stage_dir(self, stage: str) -> str:
        return osp.join(self.work_dir, stage)

    def _run_stage(self, stage: str, settings: dict, input_hash: str,
                   body: Callable[[StageManifest, str], dict]) -> dict:
        """Skip, resume or run ``body`` under the stage's manifest."""
        manifest = StageManifest(
            self.stage_dir(stage), stage, settings, input_hash)
        self.fingerprints[stage] = manifest.fingerprint
        status = manifest.begin()
        if status == 'done':
            print_log(f'[{stage}] unchanged and finished: skipped',
                      'current')
            record = dict(manifest.load(), status='skipped')
        else:
            print_log(
                f'[{stage}] ' + dict(
                    new='running', partial='resuming an interrupted run',
                    stale='settings or inputs changed: re-running')[status],
                'current')
            start = time.perf_counter()
            outcome = body(manifest, status)
            outcome['metrics'] = _plain(outcome.get('metrics', {}))
            record = manifest.finish(
                wall_time_s=time.perf_counter() - start, **outcome)
            record['status'] = 'resumed' if status == 'partial' else 'ran'
        self.results[stage] = record
        self.write_report()
        return record

    # --- stage 1 ------------------------------------------------------------
    def train(self) -> dict:
        cfg = copy.deepcopy(self.cfg)
        # what changes the checkpoint: not the CAM inference or test set-up
        settings = {
            k: v
            for k, v in cfg.to_dict().items()
            if k not in _IGNORED_KEYS and not k.startswith('test_')
        }
        settings['model'].pop('cam_cfg', None)
        input_hash = stable_hash(
            [_split_list_hash(cfg.train_dataloader.dataset.to_dict())])

        def body(manifest, status):
            cfg.work_dir = manifest.stage_dir
            _resume_or_load(cfg)
            cfg.pop('pipeline')
            check_data_root(cfg, 'train_dataloader')
            check_pretrained(cfg)
            runner = build_runner(cfg)
            runner.train()
            iters = runner.iter
            batch = cfg.train_dataloader.batch_size
            return dict(
                count=iters * batch,
                metrics=_val_metrics(runner),
                checkpoint=_last_checkpoint(manifest.stage_dir),
                iterations=iters)

        return self._run_stage('train', settings, input_hash, body)

    # --- stage 2 ------------------------------------------------------------
    def cams(self) -> dict:
        opts = dict(self.pipeline.get('cams', {}))
        split = opts.get('split', 'train')
        overrides = opts.get('dataset')
        checkpoint = self._require('train')['checkpoint']
        settings = dict(
            split=split, dataset=overrides,
            cam_cfg=self.cfg.model.get('cam_cfg'),
            metric=opts.get('metric', {}))

        def body(manifest, status):
            out_dir = osp.join(manifest.stage_dir, 'cams')
            summary = infer_cams(
                self.cfg, checkpoint, out_dir, split=split,
                dataset=overrides, batch_size=opts.get('batch_size', 1))
            dataset = build_inference_dataset(
                self.cfg, split, overrides=overrides)
            metrics = evaluate_cams(
                out_dir, dataset, opts.get('metric'), progress=True)
            return dict(count=summary['num_images'], metrics=metrics,
                        out_dir=out_dir)

        return self._run_stage('cams', settings, self.fingerprints['train'],
                               body)

    # --- stages 3-4 ---------------------------------------------------------
    def pseudo(self) -> dict:
        opts = dict(self.pipeline.get('pseudo', {}))
        if 'generator' in opts:
            return self._box_pseudo(opts)
        cam_opts = self.pipeline.get('cams', {})
        split = opts.get('split', cam_opts.get('split', 'train'))
        overrides = opts.get('dataset', cam_opts.get('dataset'))
        cam_dir = self._require('cams')['out_dir']
        refiner = opts.get('refiner', dict(type='ThresholdRefiner'))
        settings = dict(split=split, dataset=overrides, refiner=refiner,
                        metric=opts.get('metric', {}))

        def body(manifest, status):
            out_dir = osp.join(manifest.stage_dir, 'pseudo')
            dataset = build_inference_dataset(
                self.cfg, split, overrides=overrides)
            data_list = [dataset.get_data_info(i) for i in range(len(dataset))]
            summary = make_pseudo_labels(
                data_list, cam_dir, out_dir, refiner,
                nproc=opts.get('nproc', 1))
            metrics = evaluate_pseudo_labels(
                out_dir, data_list, dataset.metainfo['classes'],
                opts.get('metric'))
            return dict(count=summary['num_images'], metrics=metrics,
                        out_dir=out_dir)

        return self._run_stage('pseudo', settings,
                               self.fingerprints['cams'], body)

    def _box_pseudo(self, opts: dict) -> dict:
        """BANA stage 2: Y_crf in ``pseudo/pseudo`` and Y_ret in
        ``pseudo/pseudo_ret`` from the stage-1 checkpoint (not the CAMs),
        with the scores of Y_crf, Y_ret, the reliable region and the
        box-fill baseline (:func:`make_box_pseudo_labels`)."""
        split = opts.get('split', 'train')
        overrides = opts.get('dataset')
        checkpoint = self._require('train')['checkpoint']
        generator = dict(opts['generator'])
        settings = dict(split=split, dataset=overrides, generator=generator,
                        metric=opts.get('metric', {}))

        def body(manifest, status):
            out_dir = osp.join(manifest.stage_dir, 'pseudo')
            ret_dir = osp.join(manifest.stage_dir, 'pseudo_ret')
            summary = make_box_pseudo_labels(
                self.cfg, checkpoint, out_dir, ret_dir, split=split,
                dataset=overrides, generator=generator,
                nproc=opts.get('nproc', 1), device=opts.get('device', 'cpu'))
            dataset = build_inference_dataset(
                self.cfg, split, overrides=overrides)
            metrics = evaluate_box_pseudo_labels(
                out_dir, ret_dir,
                [dataset.get_data_info(i) for i in range(len(dataset))],
                dataset.metainfo['classes'], opts.get('metric'),
                generator.get('float32_round_trip', True))
            metrics.update({
                f'seconds/{step}': value
                for step, value in summary['seconds'].items()
            })
            return dict(count=summary['num_images'], metrics=metrics,
                        out_dir=out_dir)

        return self._run_stage('pseudo', settings,
                               self.fingerprints['train'], body)

    # --- stage 5 ------------------------------------------------------------
    def segment_config(self, pseudo_dir: str) -> Config:
        """The segmentation config with the pseudo labels plugged in."""
        opts = self.pipeline.segment
        path = opts.config
        if not osp.isfile(path):
            raise MissingInputError(
                f'pipeline.segment.config {path} does not exist (paths are '
                'relative to the directory tools/run_pipeline.py runs in, '
                'normally the repository root).')
        cfg = Config.fromfile(path)
        if opts.get('cfg_options'):
            cfg.merge_from_dict(dict(opts.cfg_options))
        # absolute: a relative folder would be joined to the data root
        cfg.train_dataloader.dataset.data_prefix.seg_map_path = osp.abspath(
            pseudo_dir)
        return cfg

    def segment(self) -> dict:
        opts = self.pipeline.segment
        pseudo_dir = self._require('pseudo')['out_dir']
        cfg = self.segment_config(pseudo_dir)
        settings = dict(
            config={
                k: v
                for k, v in cfg.to_dict().items() if k not in _IGNORED_KEYS
            },
            tta=bool(opts.get('tta', False)),
            crf_iters=int(opts.get('crf_iters', 0)))
        settings['config']['train_dataloader']['dataset'].pop(
            'data_prefix', None)  # the pseudo dir is the input, not a setting

        def body(manifest, status):
            cfg.work_dir = manifest.stage_dir
            _resume_or_load(cfg)
            runner = build_runner(cfg)
            runner.train()
            checkpoint = _last_checkpoint(manifest.stage_dir)
            metrics = {
                f'single/{k}': v
                for k, v in self._test(cfg, checkpoint).items()
            }
            if settings['tta']:
                metrics.update({
                    f'ms_flip/{k}': v
                    for k, v in self._test(cfg, checkpoint, tta=True).items()
                })
            if settings['crf_iters']:
                metrics.update({
                    f'ms_flip_crf/{k}': v
                    for k, v in self._test(
                        cfg, checkpoint, tta=True,
                        crf_iters=settings['crf_iters']).items()
                })
            return dict(
                count=runner.iter * cfg.train_dataloader.batch_size,
                metrics=metrics,
                checkpoint=checkpoint)

        return self._run_stage('segment', settings,
                               self.fingerprints['pseudo'], body)

    @staticmethod
    def _test(cfg: Config,
              checkpoint: str,
              tta: bool = False,
              crf_iters: int = 0) -> dict:
        """Test a trained segmentation model, optionally with multi-scale +
        flip TTA and DenseCRF on the merged probabilities
        (``CRFSegTTAModel`` with ``crf.n_iter=crf_iters``)."""
        cfg = copy.deepcopy(cfg)
        cfg.load_from = checkpoint
        cfg.resume = False
        if tta:
            use_tta(cfg, crf_iters)
        return dict(build_runner(cfg).test())

    # --- driver and report --------------------------------------------------
    def _require(self, stage: str) -> dict:
        record = self.results.get(stage)
        if record is None and stage not in self.pipeline and stage != 'train':
            raise InvalidInputError(
                f'{self.config_path or "The config"} has no pipeline.{stage} '
                f'section, which the next stage needs; add one (see '
                'configs/baseline/gap_r38tiny_toy.py).')
        if record is None:
            raise InvalidInputError(
                f'Stage "{stage}" has not run in this invocation; run the '
                f'stages in order ({", ".join(STAGES)}).')
        return record

    def run(self, stages: Optional[Sequence[str]] = None) -> dict:
        """Run ``stages`` (default: all configured) in order."""
        wanted = list(stages or STAGES)
        unknown = set(wanted) - set(STAGES)
        if unknown:
            raise InvalidInputError(
                f'Unknown stages {sorted(unknown)}; choose from {STAGES}.')
        optional = [s for s in ('cams', 'segment') if s not in self.pipeline]
        wanted = [s for s in wanted if s not in optional]
        if not wanted:
            raise InvalidInputError(
                f'The config has no pipeline section for {stages}; nothing '
                'to run.')
        last = max(STAGES.index(s) for s in wanted)
        # earlier stages are always visited: skipped when cached, so their
        # outputs and fingerprints are known to the later ones; a config
        # without a cams section (BANA) has no CAM stage
        for stage in STAGES[:last + 1]:
            if stage not in optional:
                getattr(self, stage)()
        return self.report()

    def report(self) -> dict:
        seed = self.cfg.get('randomness', {}).get('seed')
        return dict(
            config=self.config_path,
            work_dir=self.work_dir,
            seed=seed,
            versions=package_versions(),
            stages={
                name: {
                    k: record.get(k)
                    for k in ('status', 'count', 'wall_time_s',
                              'items_per_s', 'metrics', 'settings_hash',
                              'input_hash')
                }
                for name, record in self.results.items()
            })

    def write_report(self) -> None:
        report = self.report()
        atomic_write_json(self.report_path, report)
        atomic_write(
            osp.join(self.work_dir, 'report.md'),
            render_markdown(report).encode())


def _fmt(value) -> str:
    if isinstance(value, float):
        return f'{value:.2f}'
    return '-' if value is None else str(value)


def render_markdown(report: dict) -> str:
    """The report as markdown: a stage table and one metric table."""
    lines: List[str] = [
        f'# Pipeline report: {report["config"]}', '',
        f'seed: {report["seed"]}; ' + ', '.join(
            f'{k} {v}' for k, v in report['versions'].items()), '',
        '| stage | status | items | wall time (s) | items/s |',
        '|---|---|---|---|---|'
    ]
    for name, stage in report['stages'].items():
        lines.append(f'| {name} | {stage["status"]} | {_fmt(stage["count"])}'
                     f' | {_fmt(stage["wall_time_s"])} | '
                     f'{_fmt(stage["items_per_s"])} |')
    lines += ['', '| stage | metric | value |', '|---|---|---|']
    for name, stage in report['stages'].items():
        for key, value in (stage.get('metrics') or {}).items():
            if isinstance(value, (int, float)) or value is None:
                lines.append(f'| {name} | {key} | {_fmt(value)} |')
    return '\n'.join(lines) + '\n'
