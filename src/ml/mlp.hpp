#pragma once
// A multilayer perceptron classifier on sparse input rows: ReLU hidden layers, a softmax
// output, cross-entropy loss with L2 on the weights, inverted dropout on the hidden units,
// Adam on shuffled minibatches, and early stopping on the loss of a held-out split that
// keeps the best weights seen (then, optionally, a refit on all rows).
//
// The first layer multiplies a sparse row by a dense weight matrix one non-zero at a time:
// a 20,000-feature TF-IDF row with 100 non-zeros costs 100 weight rows, never 20,000.
// Everything is single-threaded and seeded, so the same data and parameters give the same
// model bit for bit (on the same build).
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/status.hpp"
#include "ml/byte_io.hpp"

namespace agentlearn::ml {

// One row of features: ascending column ids and their values.
struct SparseRowView {
  std::span<const int32_t> index;
  std::span<const float> value;
};

// Rows of sparse features stored back to back (compressed sparse rows): the training input.
class SparseRows {
 public:
  explicit SparseRows(int cols) : cols_(cols) {}
  // `index` ascending, each in [0, cols); train() checks.
  void add_row(std::span<const int32_t> index, std::span<const float> value);
  size_t rows() const { return offsets_.size() - 1; }
  int cols() const { return cols_; }
  SparseRowView row(size_t r) const {
    size_t b = offsets_[r], e = offsets_[r + 1];
    return {std::span(index_).subspan(b, e - b), std::span(value_).subspan(b, e - b)};
  }

 private:
  int cols_;
  std::vector<size_t> offsets_{0};
  std::vector<int32_t> index_;
  std::vector<float> value_;
};

struct MlpParams {
  std::vector<int> hidden = {128};  // units per hidden layer; empty is softmax regression
  double learning_rate = 1e-3;       // Adam's step size
  int batch_size = 200;
  int max_epochs = 200;
  // Share of the rows held out (stratified by class) to choose when to stop; 0 uses the
  // training loss instead.
  double validation_fraction = 0.1;
  int patience = 10;  // epochs without improvement before stopping
  // Loss = mean cross-entropy + l2/2 * (sum of squared weights). Per-example scale, so
  // it does not change meaning with the batch size. Training updates first-layer weight
  // rows lazily (only those of features in the batch), so a row's L2 pull also acts only
  // then: rare features are held back less often than common ones.
  double l2 = 0.0;
  double dropout = 0.0;  // probability of zeroing a hidden unit while training
  // After early stopping picked the best epoch count, train a fresh network on all rows
  // (held-out ones included) for that many epochs. Costs 1.5-2x the time.
  bool refit = false;
  uint64_t seed = 42;
};

struct MlpTrainReport {
  int epochs_run = 0;
  int best_epoch = 0;                     // the epoch whose weights were kept
  double best_validation_accuracy = 0.0;  // at the best epoch; 0 without a validation split
  double best_validation_loss = 0.0;      // mean cross-entropy; training loss without a split
  int refit_epochs = 0;                   // epochs of the final fit on all rows; 0 without refit
  size_t training_samples = 0;            // rows the returned weights were fitted on
  size_t validation_samples = 0;
};

class Mlp {
 public:
  // An untrained network with Glorot-uniform weights and zero biases.
  static StatusOr<Mlp> create(int inputs, std::vector<int> hidden, int classes, uint64_t seed);
  // Trains on rows of `x` labelled `y` (each in [0, classes)). InvalidArgument for empty or
  // mismatched input, labels or indices out of range, fewer than 2 classes, bad params.
  static StatusOr<Mlp> train(const SparseRows& x, std::span<const int32_t> y, int classes, const MlpParams& params,
                             MlpTrainReport* report = nullptr);

  // Class probabilities of one row into `out` (num_classes() long). Const, thread-safe.
  // Ids outside [0, num_inputs()) are ignored.
  void predict_proba(SparseRowView x, std::span<float> out) const;
  std::vector<float> predict_proba(SparseRowView x) const;

  // Mean cross-entropy over the rows plus the L2 term, without dropout; with `grad`, also
  // its gradient in parameters() order. For gradient checks and diagnostics.
  double loss(const SparseRows& x, std::span<const int32_t> y, double l2, std::vector<float>* grad = nullptr) const;

  // All weights and biases, layer by layer: W (inputs x outputs, row-major), then b.
  std::span<float> parameters() { return params_; }
  std::span<const float> parameters() const { return params_; }

  int num_inputs() const { return layers_.front().in; }
  int num_classes() const { return layers_.back().out; }
  std::vector<int> hidden() const;

  void write(ByteWriter& out) const;
  static StatusOr<Mlp> read(ByteReader& in);

 private:
  struct Layer {
    int in = 0;
    int out = 0;
    size_t w = 0;  // offset of W in params_
    size_t b = 0;  // offset of b in params_
  };
  struct Workspace;

  Mlp() = default;
  static Status check_shape(int inputs, const std::vector<int>& hidden, int classes);
  static size_t shape_size(int inputs, const std::vector<int>& hidden, int classes);  // parameters
  void set_shape(int inputs, const std::vector<int>& hidden, int classes);
  // Forward pass over rows[...] of x into ws (dropout when rate > 0, drawing from *rng).
  void forward(const SparseRows& x, std::span<const uint32_t> rows, Workspace& ws, double dropout,
               uint64_t* rng) const;
  // One training run of a fresh network over train_rows for at most max_epochs. With
  // stop_early, stops on validation_rows (or on the training loss when there are none) and
  // keeps the best weights; otherwise runs exactly max_epochs and keeps the last ones.
  static Mlp fit_rows(const SparseRows& x, std::span<const int32_t> y, int classes, const MlpParams& p,
                      std::span<const uint32_t> train_rows, std::span<const uint32_t> validation_rows, int max_epochs,
                      bool stop_early, MlpTrainReport* report);
  // Accuracy and mean cross-entropy over rows[...] of x.
  std::pair<double, double> evaluate(const SparseRows& x, std::span<const int32_t> y, std::span<const uint32_t> rows,
                                     Workspace& ws) const;
  // Adds the mean cross-entropy gradient of the batch in ws to grad (the L2 term is not
  // added), except the first layer's weights: their gradient rows go to ws (compact).
  void backward(const SparseRows& x, std::span<const uint32_t> rows, std::span<const int32_t> y, Workspace& ws,
                double dropout, std::vector<float>& grad) const;

  std::vector<Layer> layers_;
  std::vector<float> params_;
};

}  // namespace agentlearn::ml
