#include "ml/embedding_generator.hpp"

#include "ml/tokenizer.hpp"

namespace agentlearn::ml {

const std::vector<std::string>& embedding_methods() {
  static const std::vector<std::string> methods{"lsa", "doc2vec"};
  return methods;
}

StatusOr<EmbeddingGenerator> EmbeddingGenerator::train(std::span<const std::string> texts,
                                                       const EmbeddingParams& params) {
  EmbeddingGenerator g;
  g.method_ = params.method;
  if (params.method == "lsa") {
    LsaParams p = params.lsa;
    p.dimensions = params.dimensions;
    p.seed = params.seed;
    auto m = LsaEmbedding::fit(texts, p);
    if (!m.ok()) return m.status();
    g.lsa_.emplace(std::move(*m));
  } else if (params.method == "doc2vec") {
    Doc2VecParams p = params.doc2vec;
    p.dimensions = params.dimensions;
    p.seed = params.seed;
    std::vector<std::vector<std::string>> docs;
    docs.reserve(texts.size());
    for (const auto& t : texts) docs.push_back(tokenize(t));
    auto m = Doc2Vec::train(docs, p);
    if (!m.ok()) return m.status();
    g.doc2vec_.emplace(std::move(*m));
  } else {
    return Status::Invalid("unknown embedding method '" + params.method + "' (methods: lsa, doc2vec)", "method");
  }
  return g;
}

int EmbeddingGenerator::dimensions() const { return lsa_ ? lsa_->dimensions() : doc2vec_->dimensions(); }

std::vector<float> EmbeddingGenerator::embed(std::string_view text) const {
  return lsa_ ? lsa_->embed(text) : doc2vec_->infer(tokenize(text));
}

std::string EmbeddingGenerator::description() const {
  return lsa_ ? "TF-IDF + truncated SVD (LSA)" : (doc2vec_->params().dm ? "Doc2Vec (PV-DM)" : "Doc2Vec (PV-DBOW)");
}

std::string EmbeddingGenerator::serialize() const { return lsa_ ? lsa_->serialize() : doc2vec_->serialize(); }

StatusOr<EmbeddingGenerator> EmbeddingGenerator::deserialize(std::string_view blob) {
  // Each method's blob starts with its own magic tag (ml/byte_io.hpp); a Doc2Vec blob from
  // before the LSA method existed loads as it always did.
  EmbeddingGenerator g;
  auto lsa = LsaEmbedding::deserialize(blob);
  if (lsa.ok()) {
    g.method_ = "lsa";
    g.lsa_.emplace(std::move(*lsa));
    return g;
  }
  auto d2v = Doc2Vec::deserialize(blob);
  if (d2v.ok()) {
    g.method_ = "doc2vec";
    g.doc2vec_.emplace(std::move(*d2v));
    return g;
  }
  return blob.substr(0, 16).find("AL-LSA") != std::string_view::npos ? lsa.status() : d2v.status();
}

}  // namespace agentlearn::ml
