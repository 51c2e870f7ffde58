#!/usr/bin/env bash
# The pipeline in several processes on one machine (or, with NNODES /
# NODE_RANK / MASTER_ADDR set on each, several machines):
#   tools/dist_run_pipeline.sh CONFIG NPROC [run_pipeline.py args]
# One process per GPU (NCCL), or per CPU process group member (gloo) on
# machines without CUDA. Training stages run DDP; per-image stages split
# their ids across the processes.
CONFIG=$1
GPUS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}

PYTHONPATH="$(dirname "$0")/..":$PYTHONPATH \
python -m torch.distributed.run \
    --nnodes=$NNODES \
    --node_rank=$NODE_RANK \
    --master_addr=$MASTER_ADDR \
    --nproc_per_node=$GPUS \
    --master_port=$PORT \
    "$(dirname "$0")/run_pipeline.py" \
    "$CONFIG" \
    --launcher pytorch "${@:3}"
