"""Audio to image (section 3.2 of the paper), split by role: the front end (``cochleagram``,
``features``), the AC-SNN's settings (``config``), its targets (``targets``), its training
(``train``), synthesis and scoring (``synthesis``), the experiment (``experiment``), the AC-ANN
baseline (``ann``) and the digit classifier that scores identity (``classifier``).

The public names are re-exported here: ``from training.audio import audio_experiment, preset``.
"""

from .config import (DATASETS, MOMENTS, PRESETS, TH_VALUES, AudiocoderConfig, audiocoder_spec, check_autoencoder,
                     preset, synthesis_spec)
from .experiment import audio_experiment, balanced_subset, examples_per_digit
from .features import FeatureConfig, clip_features, feature_matrix, prepare_audio
from .synthesis import (evaluate_images, load_audiocoder, min_mse_over_references, save_audiocoder, save_image_grid,
                        synthesize_counts)
from .targets import (check_disjoint, check_th, class_images, hidden_spike_maps, pair_images, reference_sets,
                      repeat_targets)
from .train import online_config, train_audiocoder

__all__ = ["DATASETS", "MOMENTS", "PRESETS", "TH_VALUES", "AudiocoderConfig", "audiocoder_spec", "check_autoencoder",
           "preset", "synthesis_spec", "audio_experiment", "balanced_subset", "examples_per_digit", "FeatureConfig",
           "clip_features", "feature_matrix", "prepare_audio", "evaluate_images", "load_audiocoder",
           "min_mse_over_references", "save_audiocoder", "save_image_grid", "synthesize_counts", "check_disjoint",
           "check_th", "class_images", "hidden_spike_maps", "pair_images", "reference_sets", "repeat_targets",
           "online_config", "train_audiocoder"]
