package dev.apilink.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

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

  /**
   * One exchange's deferred work that fails, with an unchecked exception or an Error (a class the
   * container could not load, memory), does not keep the others' from running: they would wait for
   * a callback that has already come.
   */
  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void deferredWorkStillRunsWhenTheBracketFailsOrAnotherDeferredWorkFails(boolean withAnError) {
    List<String> done = new ArrayList<>();
    try {
      OutsideParsing.run(
          () -> {
            OutsideParsing.later(
                () -> {
                  if (withAnError) {
                    throw new NoClassDefFoundError("dev/example/NotLoaded");
                  }
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
}
