using Tandem.Engine.Tokenization;

namespace Tandem.Engine.Tests.Tokenization;

/// <summary>
/// Shared test inputs: the TinyLlama (Llama-2) tokenizer loaded from tokenizer.json, from
/// tokenizer.model alone, and from the metadata of llama.cpp's Llama-2 vocab-only GGUF; stories260K's
/// the same ways (its GGUF being the f32 model file); and llama.cpp's Llama SentencePiece vectors.
/// </summary>
internal static class LlamaTokenizerFixture
{
    public const string TinyLlama = "tinyllama-1.1b-chat-v1.0-tokenizer";
    public const string Stories = "stories260K";

    /// <summary>The Llama-2 vocabulary from <c>tokenizer-vectors/ggml-vocab-llama-spm.gguf</c>'s metadata.</summary>
    public const string LlamaGguf = TinyLlama + "/gguf";

    private const string Separator = "\n__ggml_vocab_test__\n";

    private static readonly Dictionary<string, Lazy<Tokenizer>> Loaded = new()
    {
        [TinyLlama + "/json"] = new(() => Tokenizer.Load(SharedData.Require("models", TinyLlama))),
        [TinyLlama + "/model"] = new(() => Tokenizer.Load(SentencePieceOnlyCopy(TinyLlama))),
        [Stories + "/json"] = new(() => Tokenizer.Load(SharedData.Require("models", Stories))),
        [Stories + "/model"] = new(() => Tokenizer.Load(SentencePieceOnlyCopy(Stories))),
        [LlamaGguf] = new(() => Tokenizer.LoadGguf(LlamaGgufPath())),
        [Stories + "/gguf"] = new(() => Tokenizer.LoadGguf(StoriesGgufPath())),
    };

    public static TheoryData<string> Sources => [TinyLlama + "/json", TinyLlama + "/model", LlamaGguf];

    public static TheoryData<string> AllSources => [TinyLlama + "/json", TinyLlama + "/model", LlamaGguf, Stories + "/json", Stories + "/model", Stories + "/gguf"];

    public static string LlamaGgufPath() => SharedData.Require("tokenizer-vectors", "ggml-vocab-llama-spm.gguf");

    public static string StoriesGgufPath() => SharedData.Require("models", "stories260K-gguf", "stories260K-f32.gguf");

    /// <summary>
    /// "model/json", "model/model" or "model/gguf": which model, and which tokenizer file it was loaded
    /// from (tokenizer.json, tokenizer.model, or a GGUF file's metadata).
    /// </summary>
    public static Tokenizer Get(string source)
    {
        _ = source == LlamaGguf ? LlamaGgufPath() : source == Stories + "/gguf" ? StoriesGgufPath() : SharedData.Require("models", source.Split('/')[0]);
        lock (Loaded)
        {
            return Loaded[source].Value;
        }
    }

    /// <summary>
    /// The cases of <c>ggml-vocab-llama-spm.gguf.inp</c>/<c>.out</c>: each input is followed by a
    /// separator line, so every case text ends just before <c>"\n__ggml_vocab_test__\n"</c>
    /// (its own final newline belongs to the separator).
    /// </summary>
    public static IReadOnlyList<(string Text, int[] Ids)> Vectors()
    {
        var input = File.ReadAllText(SharedData.Require("tokenizer-vectors", "ggml-vocab-llama-spm.gguf.inp"));
        var output = File.ReadAllLines(SharedData.Require("tokenizer-vectors", "ggml-vocab-llama-spm.gguf.out"));
        Assert.EndsWith(Separator, input, StringComparison.Ordinal);
        var texts = input[..^Separator.Length].Split(Separator);
        Assert.Equal(texts.Length, output.Length);
        return [.. texts.Select((text, i) => (text, output[i].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray()))];
    }

    private static string SentencePieceOnlyCopy(string model)
    {
        var source = SharedData.Require("models", model);
        var directory = Directory.CreateTempSubdirectory("tandem-spm-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Directory.Delete(directory, recursive: true);
        File.Copy(Path.Combine(source, "tokenizer.model"), Path.Combine(directory, "tokenizer.model"));
        File.Copy(Path.Combine(source, "tokenizer_config.json"), Path.Combine(directory, "tokenizer_config.json"));
        return directory;
    }
}
