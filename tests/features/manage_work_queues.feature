Feature: Manage work queues
  Scenario: Create a work queue
    Given the work queue does not exist
    When I create the work queue
    Then the work queue will be created
    And the work queue will be stopped

  Scenario: Create a work queue that already exists
    Given the work queue "MyWorkQueue" exists
    When I create the work queue "MyWorkQueue"
    Then I get error 409 naming "MyWorkQueue"
    And there is still one work queue

  Scenario: Create a work queue whose name differs only in case
    Given the work queue "MyWorkQueue" exists
    When I create the work queue "myworkqueue"
    Then I get error 409 naming the stored spelling "MyWorkQueue"
    And the work queue list shows only "MyWorkQueue"

  Scenario: Refer to a work queue in another case
    Given the work queue "MyWorkQueue" exists
    When I start "MYWORKQUEUE" and ask for the status of "myworkqueue"
    Then the status shows "MyWorkQueue" started

  Scenario: Create a work queue with a bad name
    Given no work queue exists
    When I create work queues named "", "bad name", "bad/name", "bad*name", "tab\tname", a non-ASCII name, and a name of 129 characters
    Then each request gets error 400
    And no work queue exists

  Scenario: Create a work queue with the longest name
    When I create a work queue whose name is 128 characters of letters, digits, "_", "." and "-"
    Then the work queue is listed under that name

  Scenario: List work queues when there are none
    Given no work queue exists
    When I list the work queues
    Then the list is empty

  Scenario: List work queues
    Given the work queues "beta", "Alpha", "_tmp", "Gamma", "delta" and "9lives" exist
    And "Alpha" is started and holds 2 items, one of them leased
    When I list the work queues
    Then they are listed sorted by name compared case-insensitively: "9lives", "_tmp", "Alpha", "beta", "delta", "Gamma"
    And each shows its state and its ready and leased counts

  Scenario: Delete a work queue
    Given the work queue exists
    When I delete the work queue
    Then the work queue is not listed
    And its status is error 404

  Scenario: Delete a work queue that does not exist
    Given the work queue does not exist
    When I delete the work queue
    Then I get error 404

  Scenario: Delete a work queue removes its items
    Given the work queue exists, is started and holds 3 items
    And a worker holds one of them
    When I delete the work queue and create it again
    Then the work queue is empty
    And the worker cannot acknowledge its former item: error 404

  Scenario: Start a work queue
    Given the work queue exists
    When I start the work queue
    Then the work queue will be started

  Scenario: Start a work queue that is already started
    Given the work queue exists and is started
    When I start the work queue
    Then I get OK
    And the work queue is still started

  Scenario: Stop a work queue
    Given the work queue exists and is started
    When I stop the work queue
    Then the work queue will be stopped

  Scenario: Stop a work queue that is already stopped
    Given the work queue exists
    When I stop the work queue
    Then I get OK
    And the work queue is still stopped

  Scenario: Start a work queue that does not exist
    Given the work queue does not exist
    When I start the work queue
    Then I get error 404

  Scenario: Stop a work queue that does not exist
    Given the work queue does not exist
    When I stop the work queue
    Then I get error 404

  Scenario: Status of a work queue that does not exist
    Given the work queue does not exist
    When I ask for the status of the work queue
    Then I get error 404
