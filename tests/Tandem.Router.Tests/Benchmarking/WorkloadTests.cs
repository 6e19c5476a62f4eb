using Tandem.Router.Benchmarking;

namespace Tandem.Router.Tests.Benchmarking;

public class WorkloadTests
{
    [Theory]
    [InlineData(100, 0.0, 100, 100)]
    [InlineData(100, 0.5, 50, 150)]
    [InlineData(10, 0.25, 7, 13)]
    [InlineData(1, 0.9, 1, 2)]
    public void Length_ranges_follow_vllm(int length, double ratio, int min, int max) =>
        Assert.Equal(new LengthRange(min, max), LengthRange.Of(length, ratio));

    [Theory]
    [InlineData(1.0)]
    [InlineData(-0.1)]
    public void Range_ratio_outside_zero_to_one_is_refused(double ratio) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => LengthRange.Of(10, ratio));

    [Fact]
    public void Random_prompts_stay_in_range_and_use_ids_from_ten_below_vocab()
    {
        var requests = RandomDataset.Generate(500, 64, 16, 0.5, tokenIds: true, vocabSize: 300, new Random(1));
        Assert.Equal(500, requests.Count);
        Assert.All(requests, r =>
        {
            Assert.InRange(r.InputLen, 32, 96);
            Assert.InRange(r.OutputLen, 8, 24);
            Assert.Equal(r.InputLen, r.TokenIds!.Count);
            Assert.All(r.TokenIds, id => Assert.InRange(id, 10, 299));
        });
        Assert.Contains(requests, r => r.InputLen == 32);
        Assert.Contains(requests, r => r.InputLen == 96);
    }

    [Fact]
    public void Random_chat_prompts_are_words()
    {
        var requests = RandomDataset.Generate(5, 20, 4, 0, tokenIds: false, vocabSize: 256, new Random(1));
        Assert.All(requests, r => Assert.Equal(20, r.Text!.Split(' ').Length));
    }

    [Fact]
    public void Same_seed_gives_same_prompts()
    {
        var a = RandomDataset.Generate(3, 16, 4, 0.5, true, 256, new Random(7));
        var b = RandomDataset.Generate(3, 16, 4, 0.5, true, 256, new Random(7));
        Assert.Equal(a.SelectMany(r => r.TokenIds!), b.SelectMany(r => r.TokenIds!));
    }

    [Theory]
    [InlineData(10.0, 1.0)]
    [InlineData(10.0, 0.5)]
    [InlineData(4.0, 4.0)]
    public void Arrival_gaps_have_mean_one_over_rate_and_gamma_spread(double rate, double burstiness)
    {
        var gaps = new ArrivalGaps(rate, burstiness, new Random(42));
        var samples = Enumerable.Range(0, 20_000).Select(_ => gaps.Next().TotalSeconds).ToArray();
        var mean = samples.Average();
        var cv = Math.Sqrt(samples.Sum(s => (s - mean) * (s - mean)) / samples.Length) / mean;
        Assert.InRange(mean, 0.97 / rate, 1.03 / rate);
        Assert.InRange(cv, 0.95 / Math.Sqrt(burstiness), 1.05 / Math.Sqrt(burstiness));
        Assert.All(samples, s => Assert.True(s >= 0));
    }

    [Fact]
    public void Infinite_rate_sends_without_gaps() =>
        Assert.Equal(TimeSpan.Zero, new ArrivalGaps(double.PositiveInfinity, 1, new Random(0)).Next());

    [Fact]
    public void Prompt_files_are_json_lists_or_jsonl()
    {
        var dir = Directory.CreateTempSubdirectory("tandem-bench-");
        try
        {
            var list = Path.Combine(dir.FullName, "p.json");
            File.WriteAllText(list, "[\"a b c\", \"d\"]");
            Assert.Equal(["a b c", "d"], PromptFileDataset.Load(list));
            var lines = Path.Combine(dir.FullName, "p.jsonl");
            File.WriteAllText(lines, "{\"prompt\": \"x y\"}\n\n{\"prompt\": \"z\", \"id\": 2}\n");
            Assert.Equal(["x y", "z"], PromptFileDataset.Load(lines));
            var requests = PromptFileDataset.Requests(["x y", "z"], 5, 8, 0, new Random(0));
            Assert.Equal([2, 1, 2, 1, 2], requests.Select(r => r.InputLen));
            Assert.All(requests, r => Assert.Equal(8, r.OutputLen));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Chat_role_only_and_finish_chunks_carry_no_output()
    {
        Assert.False(StreamingRequestSender.CarriesOutput(System.Text.Json.Nodes.JsonNode.Parse("{\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}"), chat: true));
        Assert.True(StreamingRequestSender.CarriesOutput(System.Text.Json.Nodes.JsonNode.Parse("{\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}"), chat: true));
        Assert.False(StreamingRequestSender.CarriesOutput(System.Text.Json.Nodes.JsonNode.Parse("{\"choices\":[{\"text\":\"\",\"finish_reason\":\"length\"}]}"), chat: false));
        Assert.True(StreamingRequestSender.CarriesOutput(System.Text.Json.Nodes.JsonNode.Parse("{\"choices\":[{\"text\":\"\",\"finish_reason\":null}]}"), chat: false));
        Assert.False(StreamingRequestSender.CarriesOutput(System.Text.Json.Nodes.JsonNode.Parse("{\"choices\":[],\"usage\":{}}"), chat: false));
    }
}
