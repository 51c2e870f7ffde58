"""The stage contract: one registered, configurable step of the pipeline.

A method config declares its stages in one top-level ``stages`` section
(``pipeline`` is mmengine's name for data transforms and is not used)::

    stages = dict(
        train=dict(type='TrainStage'),
        cams=dict(type='CAMStage', split='train', batch_size=32),
        refine=dict(type='RefineStage', split='train', nproc=2,
                    refiner=dict(type='DenseCRFRefiner', bg_power=1.0)),
        segment=dict(type='SegmentStage',
                     config='configs/deeplab/deeplabv2_r18_toy_pseudo.py'))

The key is the stage's name and its folder ``<work_dir>/<name>/``. A stage
class states what it needs (the names of upstream stages), what is
fingerprinted (:meth:`BaseStage.settings`), which datasets it reads
(:meth:`BaseStage.datasets`; their files' contents are fingerprinted), and
:meth:`BaseStage.run` returns a record
``dict(count=..., metrics={...}, outputs={key: path})``. The runner
(:class:`mmwsss.apis.PipelineRunner`) orders the stages by their needs,
skips a finished stage whose fingerprint is unchanged and whose outputs
verify (:meth:`BaseStage.verify`), and knows no stage by name.

Under W processes (``tools/run_pipeline.py --launcher pytorch|slurm``)
rank 0 alone fingerprints, verifies, writes the manifests and the report,
and every rank receives its decisions. A stage whose class sets
:attr:`BaseStage.distributed` runs :meth:`BaseStage.run` on every rank: a
training stage runs its mmengine Runner as DDP; a per-image stage writes
the files of its share of the ids (:meth:`StageContext.shard`), waits for
the others (:meth:`StageContext.barrier`) and scores all files on rank 0.
Only rank 0's returned record is kept. Any other stage runs on rank 0
alone while the other ranks wait.
"""
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

from mmengine.config import Config
from mmengine.dist import all_gather_object, barrier, get_dist_info


class StageContext:
    """What a running stage sees.

    Args:
        cfg (Config): the method config (``stages`` section included).
        work_dir (str): the run's root, ``work_dirs/<config stem>``.
        name (str): this stage's name (its folder under ``work_dir``).
        upstream (dict): records of the stages named in ``needs``; their
            ``outputs`` are paths relative to ``work_dir``.
        config_path (str): the config file, for messages.

    Attributes:
        rank (int): this process (0 without a launcher).
        world_size (int): the number of processes.
    """

    def __init__(self,
                 cfg: Config,
                 work_dir: str,
                 name: str,
                 upstream: Optional[Dict[str, dict]] = None,
                 config_path: str = '') -> None:
        self.cfg = cfg
        self.work_dir = work_dir
        self.name = name
        self.upstream = upstream or {}
        self.config_path = config_path
        self.rank, self.world_size = get_dist_info()

    @property
    def is_main(self) -> bool:
        """Whether this is rank 0 (which scores, and whose record counts)."""
        return self.rank == 0

    def shard(self, items: Sequence) -> list:
        """This rank's share: ``items[rank::world_size]``."""
        return list(items[self.rank::self.world_size])

    @staticmethod
    def barrier() -> None:
        """Wait until every rank got here (one process: return)."""
        barrier()

    @staticmethod
    def gather(obj) -> list:
        """``obj`` of every rank, in rank order (waits for all ranks)."""
        return all_gather_object(obj)

    @property
    def stage_dir(self) -> str:
        """``<work_dir>/<name>``: where this stage writes."""
        return osp.join(self.work_dir, self.name)

    def path(self, *parts: str) -> str:
        """A path inside this stage's folder."""
        return osp.join(self.stage_dir, *parts)

    def relative(self, path: str) -> str:
        """``path`` relative to the work dir (what records store, so a
        moved work dir still resolves)."""
        return osp.relpath(osp.abspath(path), osp.abspath(self.work_dir))

    def resolve(self, path: str) -> str:
        """A recorded path (relative to the work dir) made absolute."""
        return path if osp.isabs(path) else osp.join(self.work_dir, path)

    def output(self, stage: str, key: str) -> str:
        """The absolute path of output ``key`` of upstream ``stage``."""
        record = self.upstream.get(stage)
        if record is None or key not in (record.get('outputs') or {}):
            raise KeyError(f'stage "{stage}" recorded no output "{key}"')
        return self.resolve(record['outputs'][key])


class BaseStage:
    """A step of the WSSS pipeline (subclasses are registered in
    :data:`mmwsss.registry.STAGES`).

    A subclass takes its settings from the config entry as keyword
    arguments after ``name``.

    Args:
        name (str): the key of the stage in the config's ``stages``
            section; also its folder name.
    """

    #: run on every rank under a launcher (DDP training, or a share of the
    #: ids each); False: rank 0 runs the stage while the others wait
    distributed = False

    def __init__(self, name: str) -> None:
        self.name = name

    def needs(self) -> Tuple[str, ...]:
        """Names of the upstream stages whose outputs :meth:`run` reads."""
        return ()

    def settings(self, cfg: Config) -> dict:
        """Everything that changes this stage's outputs (fingerprinted).
        Settings that cannot change outputs (logging, progress, worker
        counts) are left out."""
        raise NotImplementedError

    def datasets(self, cfg: Config) -> list:
        """The datasets this stage reads (built once and cached by the
        stage). The runner fingerprints their id lists, annotations and
        the contents of every file their data infos name."""
        return []

    def weights(self, cfg: Config) -> dict:
        """The local weight files the stage starts from (``{config key:
        {'path', 'weights_sha256'}}``; their weights belong in
        :meth:`settings`); the runner records them in the manifest and the
        report."""
        return {}

    def check(self, cfg: Config) -> None:
        """Validate what the stage needs before anything runs (config keys,
        registry types, files); raise a user error naming the fix."""

    def run(self, ctx: StageContext) -> dict:
        """Produce the outputs (resumable: keep what is already valid).

        Returns:
            dict: ``count`` (items processed), ``metrics`` (dict) and
            ``outputs`` (key -> path, relative to the work dir); on ranks
            other than 0 anything (it is not used).
        """
        raise NotImplementedError

    def verify(self, ctx: StageContext, record: dict) -> List[str]:
        """Outputs of a finished run that are missing or corrupt (and
        were removed, so that :meth:`run` redoes them)."""
        return []

