package dev.apilink.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class OutsideParsingTest {

  @Test
  void workOutsideAnyBracketRunsAtOnce() {
    List<String> done = new ArrayList<>();
    OutsideParsing.later(() -> done.add("pump"));
    assertEquals(List.of("pump"), done);
  }

  @Test
  void workCalledBackInsideABracketRunsWhenTheOutermostReturnsInOrder() {
    List<String> done = new ArrayList<>();
    OutsideParsing.run(
        () -> {
          done.add("parse begins");
          OutsideParsing.later(() -> done.add("first pump"));
          OutsideParsing.run(
              () -> {
                OutsideParsing.later(() -> done.add("second pump"));
                done.add("nested parse ends");
              });
          done.add("parse ends");
        });
    assertEquals(
        List.of("parse begins", "nested parse ends", "parse ends", "first pump", "second pump"),
        done);
  }

  @Test
  void workDeferredByDeferredWorkRunsAfterIt() {
    List<String> done = new ArrayList<>();
    OutsideParsing.run(
        () ->
            OutsideParsing.later(
                () -> {
                  OutsideParsing.later(() -> done.add("read on"));
                  done.add("pump");
                }));
    assertEquals(List.of("pump", "read on"), done);
  }

  @Test
  void deferredWorkStillRunsWhenTheBracketFailsOrAnotherDeferredWorkFails() {
    List<String> done = new ArrayList<>();
    try {
      OutsideParsing.run(
          () -> {
            OutsideParsing.later(
                () -> {
                  throw new IllegalStateException("one exchange's bug");
                });
            OutsideParsing.later(() -> done.add("other exchange"));
            throw new IllegalStateException("the parse failed");
          });
    } catch (IllegalStateException expected) {
      done.add(expected.getMessage());
    }
    assertEquals(List.of("other exchange", "the parse failed"), done);
  }

  /**
   * The same when the failing work throws an Error (a class the container could not load, memory):
   * the other exchanges' pumps deferred on this thread still run, or they wait for a callback that
   * has already come.
   */
  @Test
  void deferredWorkStillRunsWhenAnotherDeferredWorkFailsWithAnError() {
    List<String> done = new ArrayList<>();
    try {
      OutsideParsing.run(
          () -> {
            OutsideParsing.later(
                () -> {
                  throw new NoClassDefFoundError("dev/example/NotLoaded");
                });
            OutsideParsing.later(() -> done.add("other exchange"));
          });
    } catch (NoClassDefFoundError e) {
      done.add("escaped: " + e.getMessage());
    }
    assertEquals(List.of("other exchange"), done);
  }
}
