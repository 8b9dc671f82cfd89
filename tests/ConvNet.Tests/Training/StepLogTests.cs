// Issue 12 item 2: every step's loss is recorded in steps.csv for the per-step loss curve; a resume cuts the file back
// to the checkpoint's step, and a line cut short by a crash is ignored.
using ConvNet.Tests.Support;
using ConvNet.Training;

namespace ConvNet.Tests.Training;

public sealed class StepLogTests(TinyRunFixture run) : IClassFixture<TinyRunFixture>
{
    [Fact]
    public void ATrainingRunRecordsEveryStep()
    {
        var steps = StepLog.ReadRun(run.Run);
        // 160 images less 32 held out for validation, batch 32: 4 steps in the one epoch.
        long expected = Checkpoints.Open(run.Run).Info.Step;
        Assert.Equal(Enumerable.Range(1, (int)expected).Select(i => (long)i), steps.Select(s => s.Step));
        Assert.All(steps, s => Assert.Equal(1, s.Epoch));
        Assert.All(steps, s => Assert.True(double.IsFinite(s.Loss) && s.Loss > 0));
        Assert.Equal(Checkpoints.Open(run.Run).Info.History[0].TrainLoss, steps.Average(s => s.Loss), 5);
    }

    [Fact]
    public void CurvesLeaveOutStepsNoCheckpointHolds()
    {
        // steps.csv is flushed just before each checkpoint is saved: a save that failed (a full disk) or was killed
        // left steps the weights do not include, and the curves drew them until a resume cut them (pass 42).
        using var temp = new TempDirectory();
        string copy = temp.Combine("run");
        FolderCopy.Copy(run.Run, copy);
        long saved = Checkpoints.Open(copy).Info.Step;
        File.AppendAllText(Path.Combine(copy, StepLog.FileName), $"{saved + 1},1,0.5,0.01\n{saved + 2},1,0.4,0.01\n");
        Assert.Equal(saved + 2, StepLog.ReadRun(copy)[^1].Step);
        Assert.Equal(saved, ConvNet.Visualization.TrainingCurves.Load(copy).Steps![^1].Step);
        // With last.json gone, the newest checkpoint left decides, not best.json's step alone (here an earlier one's).
        File.Copy(Path.Combine(copy, "last.json"), Path.Combine(copy, "previous.json"), overwrite: true);
        File.Delete(Path.Combine(copy, "last.json"));
        var best = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(copy, "best.json")))!;
        best["step"] = 1;
        File.WriteAllText(Path.Combine(copy, "best.json"), best.ToJsonString());
        Assert.Equal(saved, ConvNet.Visualization.TrainingCurves.Load(copy).Steps![^1].Step);
    }

    [Fact]
    public void ResumeCutsTheLogBackToTheCheckpointAndIgnoresATornLine()
    {
        using var temp = new TempDirectory();
        using (var log = new StepLog(temp.Path))
        {
            log.Start(0);
            for (int s = 1; s <= 6; s++) log.Append(s, 1, 2.0 / s, 0.01f);
            log.Flush();
        }
        File.AppendAllText(Path.Combine(temp.Path, StepLog.FileName), "7,1,0.3"); // a crash mid-line
        Assert.Equal(6, StepLog.ReadRun(temp.Path).Count);
        // Cut inside its last number, a line still parses (a rate of 0.0012 read as 0.00): a last line without its
        // newline is left out whatever it holds.
        File.AppendAllText(Path.Combine(temp.Path, StepLog.FileName), ",0.00");
        Assert.Equal(6, StepLog.ReadRun(temp.Path).Count);
        using (var log = new StepLog(temp.Path))
        {
            log.Start(4); // the checkpoint was at step 4: steps 5 and 6 will be trained again
            log.Append(5, 1, 9.0, 0.02f);
            log.Flush();
        }
        var steps = StepLog.ReadRun(temp.Path);
        Assert.Equal([1L, 2, 3, 4, 5], steps.Select(s => s.Step));
        Assert.Equal(9.0, steps[^1].Loss);
        Assert.Equal(0.5, steps[3].Loss);
    }

    [Fact]
    public void StepsNoCheckpointHoldsAreDroppedWhenTheLogCloses()
    {
        // A diverged run stops without saving its last steps: their losses (1e23) must not reach the curves.
        using var temp = new TempDirectory();
        using (var log = new StepLog(temp.Path))
        {
            log.Start(0);
            for (int s = 1; s <= 6; s++) log.Append(s, 1, 2.0 / s, 0.01f);
            log.Flush(); // the checkpoint of step 6
            log.Append(7, 1, 239.9, 0.5f);
            log.Append(8, 1, 1.7e23, 0.5f);
        }
        Assert.Equal([1L, 2, 3, 4, 5, 6], StepLog.ReadRun(temp.Path).Select(s => s.Step));
    }
}
