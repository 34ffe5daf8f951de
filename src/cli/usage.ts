/** The usage text of the `plover` command (`plover help`, `--help`); docs/cli.md is checked against it. */
import { FAILURE_CATEGORIES } from '../lib/records/choices.ts';

export const USAGE = `plover — label failed LLM outputs into fine-tuning data, one git commit per decision

Usage: plover <command> [options]      (in the repository root, or with --dir DIR)

Commands:
  serve     Start the label server on 127.0.0.1 and print its address.
              --port N            port (default 4321; 0 picks a free one)
              --reviewer "Name <email>"   default: git config user.name / user.email
  submit <candidate-id>
            Commit one decision, exactly as the review page does.
              --action correct|discard|flag
              --response TEXT | --response-file FILE   the corrected response (correct only)
              --category ${FAILURE_CATEGORIES.map((c) => c.value).join('|')}|none
              --unchanged         the corrected response is the model's own (the model
                                  was right); without it such a correction is refused
              --start-from KIND[:ID]   where the correction started, recorded as
                                  started_from (correct only; without it, none is recorded):
                                  model_response, reference, sibling_correction:CANDIDATE,
                                  sibling_answer:CANDIDATE or suggestion:AGENT; it must be
                                  one of the starts the review page offers the candidate
              --reviewer "Name <email>"
  submit --from FILE
            Commit many decisions in one process, one commit each, in file order. FILE is
            JSONL: {"candidate_id", "action", "corrected_response"?, "failure_category"?,
            "unchanged"?, "started_from"?} per line (started_from as the correction schema has it). Every line is checked first: any problem, and nothing is
            committed (each problem is listed with its line).
              --reviewer "Name <email>"
  suggest import FILE --agent NAME
            Commit a model's or tool's answers as suggestions/NAME.jsonl, offered on the
            review page as starting points. FILE is JSONL: {"candidate_id", "text",
            "score"?} per line. Every line is checked first: any problem, and nothing is
            written. A candidate NAME suggested for before gets the new text.
              --reviewer "Name <email>"   the commit's author
  undo <candidate-id>
            Undo your decision on a candidate: a new commit removes your correction
            file (history is kept), and the candidate is back in your queue.
              --reviewer "Name <email>"
  export    Compile the decisions into fine-tuning JSONL plus a manifest.
              --out FILE          default dist/sft.jsonl (manifest: dist/sft.manifest.json);
                                  never inside .git/ or a data folder, over a tracked file,
                                  or over a file that is not an earlier export
              --format full|messages|prompt-completion|preference|openai-preference|kto
                                  full (default): messages + ids and labels; see README
              --action A[,A]      resolved actions to export (default correct; kto: correct,flag)
              --category C[,C]    only these categories ('none': lines without one)
              --resolve majority|unanimous|latest   when reviewers disagree (default majority)
              --ref REF           read a commit (branch, tag, sha) without checking it out
              --keep-earlier-turns   keep the model's own earlier turns in the context even
                                  where a reviewer corrected them
              --reviewed-context-only   leave out lines whose context holds an earlier
                                  answer of the model that nobody corrected (for trainers
                                  that ignore weight: 0, such as TRL's SFTTrainer)
              --exclude-unchanged leave out corrections that are the model's answer unchanged
              --max-tokens N      leave out lines longer than N tokens (listed in the manifest)
              --keep-duplicates   keep a line whose prompt and target an earlier line has
                                  (written once by default, counted in the manifest)
              --allow-control-tokens   keep lines whose target holds a chat-template control
                                  token (left out and listed by default)
              --fail-on-control-tokens   refuse when a line holds a chat-template control token
                                  (in its context, or in a target left out for it)
              --system keep|drop|merge|auto   the system prompt: kept (default), dropped,
                                  or merged into the first user message (Gemma refuses a
                                  system role); auto (the default with --chat-template):
                                  kept where the template renders it, else merged
              --chat-template FILE   render every line through the model's chat template
                                  (a .jinja file, or its tokenizer_config.json) and list
                                  the lines that do not render as meant
              --fail-on-template  refuse when a line does not render as meant
  import <path>
            Bring benchmark runs into candidates/: a harness output folder
            (<run_id>/sft_candidates.jsonl), one run folder, or one .jsonl file.
            Ids already imported are skipped and counted; running it twice changes nothing.
              --dry-run           say what would be imported, write nothing
  validate  Check every candidate and correction; list every problem; exit 1 if any.
            Warns (exit 0) about corrections that break the text rule, hold
            chat-template control tokens, or are the model's answer unconfirmed.
              --json              the result as JSON, for tools
              --strict            warnings fail too
  stats     Review status: undecided, decided per action, conflicts and ready for
            export, by run, model and task type; decisions by category; per reviewer.
              --agreement         add agreement between reviewers (Cohen's and Fleiss' κ)
              --resolve P         as for export (default majority)
              --json | --markdown   for tools | for a CI job summary
  conflicts List the candidates whose reviewers disagree under --resolve (not exported
            until settled): each reviewer's action, category and time.
              --resolve P         as for export (default majority)
              --json              for tools
  summary   A pull request's decisions as a Markdown report (for a CI job summary):
            validate's problems, counts per reviewer by action and category, the
            candidates in conflict, each correction as a word diff against the model's
            response; every text escaped; at most 1 MiB.
              --base REF          the branch the pull request goes into (required)
              --head REF          default HEAD
  help      Show this text.

Common options:
  --dir DIR   the repository (default: the current folder)
`;
