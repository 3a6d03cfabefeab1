package io.shrink.core.task;

import io.shrink.core.ShrinkException;
import io.shrink.core.data.DataDirs;
import io.shrink.core.model.HeadConfig;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TasksTest {
    @Test
    void holdsTheNineGlueTasksImdbAndSquadInOrder() {
        assertEquals(List.of("cola", "sst2", "mrpc", "stsb", "qqp", "mnli", "qnli", "rte", "wnli", "imdb", "squad"),
                Tasks.names().subList(0, 11));
        assertEquals(9, Tasks.glue().size());
    }

    @Test
    void findsByNameInAnyCaseAndByGlueDirectoryName() {
        assertEquals("sst2", Tasks.of("SST-2").name());
        assertEquals("stsb", Tasks.of("STS-B").name());
        assertEquals("cola", Tasks.of("CoLA").name());
        assertEquals("squad", Tasks.of("SQuAD").name());
        assertFalse(Tasks.find("glue").isPresent(), "glue is a suite of evaluate, not a task");
        assertFalse(Tasks.find(null).isPresent());
        ShrinkException e = assertThrows(ShrinkException.class, () -> Tasks.of("sst3"));
        assertTrue(e.getMessage().contains("unknown task 'sst3'") && e.getMessage().contains("imdb"), e.getMessage());
    }

    @Test
    void eachTaskKnowsItsShapeDataAndDefaultLength() {
        assertEquals(TaskKind.SINGLE_CLASSIFICATION, Tasks.of("sst2").kind());
        assertEquals(TaskKind.PAIR_CLASSIFICATION, Tasks.of("mrpc").kind());
        assertEquals(TaskKind.REGRESSION, Tasks.of("stsb").kind());
        assertEquals(TaskKind.LONG_DOCUMENT, Tasks.of("imdb").kind());
        assertEquals(TaskKind.EXTRACTIVE_QA, Tasks.of("squad").kind());
        assertEquals(128, Tasks.of("rte").defaultMaxLength());
        assertEquals(256, Tasks.of("imdb").defaultMaxLength());
        assertEquals(384, Tasks.of("squad").defaultMaxLength());
        assertEquals(DataDirs.Kind.IMDB, Tasks.of("imdb").dataKind());
        assertEquals(DataDirs.Kind.SQUAD, Tasks.of("squad").dataKind());
        assertEquals(DataDirs.Kind.GLUE, Tasks.of("mnli").dataKind());
    }

    @Test
    void headsAreCheckedWithAMessageSayingWhatToDo() {
        Task mnli = Tasks.of("mnli");
        assertTrue(mnli.accepts(mnli.head("pooler")));
        assertFalse(mnli.accepts(Tasks.of("sst2").head("pooler")), "two labels are not three");
        assertFalse(Tasks.of("squad").accepts(HeadConfig.mlm()));
        ShrinkException e = assertThrows(ShrinkException.class, () -> Tasks.of("stsb").checkHead(HeadConfig.mlm(), "m"));
        assertTrue(e.getMessage().contains("stsb needs a regression head (fine-tune it on stsb first)"), e.getMessage());
        assertEquals("3 labels", mnli.headDescription());
        assertEquals("a QA head", Tasks.of("squad").headDescription());
    }

    @Test
    void predictionMetricsFollowTheTaskMetrics() {
        assertEquals(List.of("f1", "accuracy"), Tasks.of("mrpc").predictionMetrics().stream().map(PredictionMetric::key).toList());
        assertEquals(List.of("pearson", "spearman"), Tasks.of("stsb").predictionMetrics().stream().map(PredictionMetric::key).toList());
        assertEquals(List.of("exact_match", "f1"), Tasks.of("squad").predictionMetrics().stream().map(PredictionMetric::key).toList());
    }
}
