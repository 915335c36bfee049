/** The data layer of `seqc train`: vocabularies, the JSON Schema of an example, loaders and the Dataset. */
export { Dataset, permutation, type BatchOptions, type DataField, type RandomSource } from "./dataset.js";
export { DataError, formatOf, languageModelFields, loadDataset, parseDataset, type DataFormat, type LoadOptions } from "./load.js";
export { dataFields, ExampleValidator, formatIssue, resolveVocabularies, type DataIssue, type FieldSpec, type SchemaOptions } from "./schema.js";
export { EOS, tokenize, UNK, Vocabulary, vocabulariesFromJSON, vocabulariesToJSON, type TokenMode, type VocabularyJSON } from "./vocab.js";
