#include "text/model.h"

#include "common/status_macros.h"
#include "common/strings.h"
#include "text/bpe_model.h"
#include "text/unigram_model.h"
#include "text/wordpiece_model.h"

namespace inferd::text {

absl::StatusOr<std::unique_ptr<Model>> Model::FromJson(const JsonFields& fields,
                                                     bool byte_level) {
  std::string type;
  if (fields.Find("type") != nullptr) {
    INFERD_ASSIGN_OR_RETURN(type, fields.Type());
  } else if (const boost::json::value* vocab = fields.Find("vocab")) {
    // Like the reference, infer the model from its fields.
    if (vocab->is_array()) {
      type = "Unigram";
    } else if (fields.Find("merges") != nullptr) {
      type = "BPE";
    } else {
      type = "WordPiece";
    }
  }
  if (byte_level && type != "BPE") {
    return absl::InvalidArgumentError(
        StrCat("tokenizer.json: a ByteLevel pre_tokenizer needs a BPE model, "
               "not \"", type, "\""));
  }
  if (type == "BPE") return BpeModel::FromJson(fields, byte_level);
  if (type == "WordPiece") return WordPieceModel::Create(fields);
  if (type == "Unigram") return UnigramModel::Create(fields);
  return absl::InvalidArgumentError(StrCat("tokenizer.json: ", fields.path(),
                                           " type \"", type,
                                           "\" is not supported"));
}

}  // namespace inferd::text
