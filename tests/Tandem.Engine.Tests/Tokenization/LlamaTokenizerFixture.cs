using Tandem.Engine.Tokenization;

namespace Tandem.Engine.Tests.Tokenization;

/// <summary>
/// Shared test inputs: the TinyLlama (Llama-2) tokenizer loaded from tokenizer.json and from
/// tokenizer.model alone, and llama.cpp's Llama SentencePiece vectors.
/// </summary>
internal static class LlamaTokenizerFixture
{
    public const string TinyLlama = "tinyllama-1.1b-chat-v1.0-tokenizer";
    public const string Stories = "stories260K";

    private const string Separator = "\n__ggml_vocab_test__\n";

    private static readonly Dictionary<string, Lazy<Tokenizer>> Loaded = new()
    {
        [TinyLlama + "/json"] = new(() => Tokenizer.Load(SharedData.Require("models", TinyLlama))),
        [TinyLlama + "/model"] = new(() => Tokenizer.Load(SentencePieceOnlyCopy(TinyLlama))),
        [Stories + "/json"] = new(() => Tokenizer.Load(SharedData.Require("models", Stories))),
        [Stories + "/model"] = new(() => Tokenizer.Load(SentencePieceOnlyCopy(Stories))),
    };

    public static TheoryData<string> Sources => [TinyLlama + "/json", TinyLlama + "/model"];

    public static TheoryData<string> AllSources => [TinyLlama + "/json", TinyLlama + "/model", Stories + "/json", Stories + "/model"];

    /// <summary>"model/json" or "model/model": which model directory, and which tokenizer file it was loaded from.</summary>
    public static Tokenizer Get(string source)
    {
        SharedData.Require("models", source.Split('/')[0]);
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
