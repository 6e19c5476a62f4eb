using System.Text.Json.Nodes;

namespace Tandem.Engine.Tests.Tokenization;

/// <summary>A temporary model directory holding hand-written tokenizer files, deleted on dispose.</summary>
internal sealed class TokenizerDirectory : IDisposable
{
    public TokenizerDirectory() => Path = Directory.CreateTempSubdirectory("tandem-tok-").FullName;

    public string Path { get; }

    /// <summary>
    /// A minimal SentencePiece-style tokenizer.json: "▁", "a", "b", "c", their merges
    /// "▁ a" → "▁a", "a b" → "ab", "▁a b" → "▁ab", no byte fallback.
    /// </summary>
    public static JsonObject SmallTokenizerJson(bool arrayMerges = false)
    {
        string[][] merges = [["▁", "a"], ["a", "b"], ["▁a", "b"]];
        return new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = new JsonArray(
                AddedToken(0, "<unk>"),
                AddedToken(1, "<s>"),
                AddedToken(2, "</s>")),
            ["normalizer"] = JsonNode.Parse("""
                {"type": "Sequence", "normalizers": [
                  {"type": "Prepend", "prepend": "▁"},
                  {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]}
                """),
            ["pre_tokenizer"] = null,
            ["decoder"] = JsonNode.Parse("""
                {"type": "Sequence", "decoders": [
                  {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
                  {"type": "ByteFallback"}, {"type": "Fuse"},
                  {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}
                """),
            ["model"] = new JsonObject
            {
                ["type"] = "BPE",
                ["unk_token"] = "<unk>",
                ["fuse_unk"] = true,
                ["byte_fallback"] = false,
                ["vocab"] = new JsonObject
                {
                    ["<unk>"] = 0,
                    ["<s>"] = 1,
                    ["</s>"] = 2,
                    ["▁"] = 3,
                    ["a"] = 4,
                    ["b"] = 5,
                    ["c"] = 6,
                    ["▁a"] = 7,
                    ["ab"] = 8,
                    ["▁ab"] = 9,
                },
                ["merges"] = new JsonArray([.. merges.Select(m => arrayMerges ? (JsonNode)new JsonArray(m[0], m[1]) : JsonValue.Create($"{m[0]} {m[1]}"))]),
            },
        };
    }

    public static JsonObject AddedToken(int id, string content, bool special = true, bool lstrip = false, bool rstrip = false) => new()
    {
        ["id"] = id,
        ["content"] = content,
        ["single_word"] = false,
        ["lstrip"] = lstrip,
        ["rstrip"] = rstrip,
        ["normalized"] = false,
        ["special"] = special,
    };

    public TokenizerDirectory With(string fileName, JsonNode json) => With(fileName, json.ToJsonString());

    public TokenizerDirectory With(string fileName, string text)
    {
        File.WriteAllText(System.IO.Path.Combine(Path, fileName), text);
        return this;
    }

    public TokenizerDirectory With(string fileName, byte[] bytes)
    {
        File.WriteAllBytes(System.IO.Path.Combine(Path, fileName), bytes);
        return this;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
