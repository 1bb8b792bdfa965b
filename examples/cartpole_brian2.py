"""CartPole observations as spike trains, through a small Brian2 network of LIF neurons.

    python examples/cartpole_brian2.py [--observations N] [--steps T] [--seed S]

A seeded random policy plays CartPole-v1 for N steps. The state encoder scales each
observation by fixed bounds (the space bounds cart position and pole angle; the two
velocities are unbounded, so they get bounds of their own), splits every feature into a
positive and a negative population and adds the inverse trains: 4 features -> 16 spike
trains of T steps. One observation's trains replay in Brian2 through
``encoders.brian.spike_generator_group``; then all N observations run, back to back,
through the Brian2 version of a 16-32-2 LIF network (``models.spec.NetworkSpec``, random
weights, the numpy target), whose two output counts per observation could pick the next
action. The torch mirror runs the same spikes and must agree spike for spike.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

#: Bounds for CartPole-v1's observation [cart position, cart velocity, pole angle, pole
#: angular velocity]; position and angle are the space's own (its termination limits).
LOW = [-4.8, -3.0, -0.42, -3.5]
HIGH = [4.8, 3.0, 0.42, 3.5]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--observations", type=int, default=50, help="CartPole steps to encode (default 50)")
    parser.add_argument("--steps", type=int, default=20, help="time steps T per observation (default 20)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the policy, the episode and the weights")
    args = parser.parse_args(argv)

    import gymnasium as gym
    import numpy as np
    import torch
    from brian2 import Network, SpikeMonitor, prefs, second

    from encoders.brian import spike_generator_group
    from encoders.state import from_space
    from models.brian_snn import run_brian
    from models.spec import NetworkSpec, NeuronSpec
    from models.torch_snn import SpikingNetwork, init_weights

    # 1. observations of a random policy
    env = gym.make("CartPole-v1")
    env.action_space.seed(args.seed)
    obs, _ = env.reset(seed=args.seed)
    observations = []
    for _ in range(args.observations):
        observations.append(obs)
        obs, _, terminated, truncated, _ = env.step(env.action_space.sample())
        if terminated or truncated:
            obs, _ = env.reset()
    observations = np.array(observations, dtype=np.float64)          # [N, 4]

    # 2. the state encoder: [N, 4] -> [T, N, 16] 0/1 spikes
    encoder = from_space(env.observation_space, steps=args.steps, low=LOW, high=HIGH, split_exc_inh=True,
                         inverted=True)
    spikes = encoder.encode(observations)
    print(f"encoded {len(observations)} observations -> spikes {list(spikes.shape)} "
          f"(units {', '.join(encoder.unit_labels())}); {int(spikes.sum())} spikes")
    err = np.abs(encoder.decode(spikes) - observations).max(axis=0)
    print("decode error per feature:", np.array2string(err, precision=4))

    # 3. one observation's trains replayed by a Brian2 SpikeGeneratorGroup
    dt = 1e-3
    prefs.codegen.target = "numpy"
    group = spike_generator_group(spikes[:, 0], dt)
    monitor = SpikeMonitor(group)
    Network(group, monitor).run(args.steps * dt * second)
    if monitor.num_spikes != int(spikes[:, 0].sum()):          # not an assert: python -O must not skip it
        sys.exit(f"the SpikeGeneratorGroup replayed {monitor.num_spikes} spikes of {int(spikes[:, 0].sum())}")
    print(f"observation 0: SpikeGeneratorGroup of {group.N} units replayed {monitor.num_spikes} spikes")

    # 4. a 16-32-2 LIF network (the spec's neuron) in Brian2, and the torch mirror
    spec = NetworkSpec(sizes=(encoder.n_units, 32, 2), neuron=NeuronSpec(alpha=0.1, v_th=1.0), dt=dt, steps=args.steps)
    weights = init_weights(spec, torch.Generator().manual_seed(args.seed), scale=0.5, dtype=torch.float64)
    net = SpikingNetwork(spec, weights, dtype=torch.float64)
    inputs = torch.as_tensor(spikes, dtype=torch.float64)
    recording = run_brian(spec, weights, inputs, target="numpy", progress=False)
    counts = recording.counts(spec.n_layers - 1)                      # [N, 2] output spikes per observation
    mirror = net(inputs)
    for layer in range(spec.n_layers):
        if not torch.equal(recording.dense(layer), mirror.spikes[layer]):
            print(f"layer {layer + 1}: Brian2 and the mirror disagree", file=sys.stderr)
            return 1
    print("Brian2 and the mirror agree spike for spike")
    print(f"output spikes per observation: {counts.sum(axis=1).mean():.2f} (mean); first 10 [left, right]:")
    print(counts[:10].tolist())
    print("actions by the larger count (ties: left):", np.argmax(counts, axis=1)[:10].tolist())
    return 0


if __name__ == "__main__":
    sys.exit(main())
