/*
 * Autoavaliação das lições: perguntas de múltipla escolha respondidas no
 * navegador, sem servidor. Marcação esperada (HTML dentro do Markdown):
 *
 *   <div class="quiz" data-quiz>
 *     <div class="quiz__question" data-quiz-question>
 *       <p class="quiz__prompt">Pergunta?</p>
 *       <div class="quiz__options">
 *         <button type="button" class="quiz__option" data-correct="true"
 *                 data-explanation="Por que está certa.">Alternativa</button>
 *         ...
 *       </div>
 *       <p class="quiz__feedback"></p>
 *     </div>
 *   </div>
 *
 * Funciona com a navegação instantânea do Material: cada página nova chega
 * por document$, e os cliques são tratados por um único ouvinte no document.
 */
(function () {
  "use strict";

  var counter = 0;

  function setup(root) {
    var questions = root.querySelectorAll("[data-quiz-question]");
    Array.prototype.forEach.call(questions, function (question) {
      if (question.hasAttribute("data-quiz-ready")) {
        return;
      }
      counter += 1;
      var prompt = question.querySelector(".quiz__prompt");
      var options = question.querySelector(".quiz__options");
      var feedback = question.querySelector(".quiz__feedback");
      if (prompt && options) {
        prompt.id = prompt.id || "quiz-prompt-" + counter;
        options.setAttribute("role", "group");
        options.setAttribute("aria-labelledby", prompt.id);
      }
      if (feedback) {
        feedback.setAttribute("role", "status");
        feedback.setAttribute("aria-live", "polite");
        feedback.setAttribute("aria-atomic", "true");
      }
      Array.prototype.forEach.call(
        question.querySelectorAll(".quiz__option"),
        function (button) {
          button.setAttribute("type", "button");
          button.setAttribute("aria-pressed", "false");
        }
      );
      question.setAttribute("data-quiz-ready", "");
    });
  }

  function answer(button) {
    var question = button.closest("[data-quiz-question]");
    if (!question) {
      return;
    }
    var correct = button.getAttribute("data-correct") === "true";
    var explanation = button.getAttribute("data-explanation") || "";
    Array.prototype.forEach.call(
      question.querySelectorAll(".quiz__option"),
      function (other) {
        other.classList.remove("quiz__option--correct", "quiz__option--wrong");
        other.setAttribute("aria-pressed", "false");
      }
    );
    button.setAttribute("aria-pressed", "true");
    button.classList.add(correct ? "quiz__option--correct" : "quiz__option--wrong");

    var feedback = question.querySelector(".quiz__feedback");
    if (feedback) {
      feedback.classList.remove("quiz__feedback--correct", "quiz__feedback--wrong");
      feedback.classList.add(correct ? "quiz__feedback--correct" : "quiz__feedback--wrong");
      feedback.textContent =
        (correct ? "✔ Correto! " : "✘ Incorreto. ") + explanation +
        (correct ? "" : " Tente outra alternativa.");
    }
    question.setAttribute("data-answered", correct ? "correct" : "wrong");
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) {
      return;
    }
    var button = target.closest(".quiz__option");
    if (button && button.closest("[data-quiz-question]")) {
      answer(button);
    }
  });

  if (typeof document$ !== "undefined" && document$.subscribe) {
    // Material for MkDocs: emite a cada página carregada (inclusive instantânea).
    document$.subscribe(function () {
      setup(document);
    });
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      setup(document);
    });
  } else {
    setup(document);
  }
})();
